//go:build linux

package cloudfs_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
)

// A file:// bucket on another file system than $TMPDIR (a data disk, with
// /tmp on tmpfs) takes writes: fileblob's temporary files in os.TempDir
// could not be renamed into it (EXDEV), so every write failed, and remd's
// -storage objectstore with it.
func TestFileBucketOnAnotherFileSystem(t *testing.T) {
	bucket := t.TempDir()
	var other string
	for _, d := range []string{"/dev/shm", "/run", "/var/tmp"} {
		if dev(d) != 0 && dev(d) != dev(bucket) {
			other = d
			break
		}
	}
	if other == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("no directory on another file system than %s (tried /dev/shm, /run, /var/tmp)", bucket)
		}
		t.Skip("no directory on another file system than " + bucket)
	}
	tmp, err := os.MkdirTemp(other, "cloudfs-tmpdir")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)

	f, err := cloudfs.Open(context.Background(), "file://"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.WriteFile("remd/run/r000001/replica-0001", []byte("state")); err != nil {
		t.Fatalf("WriteFile with $TMPDIR on %s: %v", other, err)
	}
	if err := f.CreateExclusive("remd/run/lease.json", []byte("lease")); err != nil {
		t.Fatalf("CreateExclusive with $TMPDIR on %s: %v", other, err)
	}
	if b, err := f.ReadFile("remd/run/r000001/replica-0001"); err != nil || string(b) != "state" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	ents, err := os.ReadDir(filepath.Join(bucket, "remd", "run"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		// (.attrs: fileblob's metadata beside a file, which cloudfs hides.)
		if e.Name() != "r000001" && e.Name() != "lease.json" && e.Name() != "lease.json.attrs" {
			t.Errorf("the bucket holds %s after the writes ended", e.Name())
		}
	}
}

func dev(path string) uint64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Sys().(*syscall.Stat_t).Dev
}
