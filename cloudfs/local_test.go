package cloudfs_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/burst-dev/burst/cloudfs"
)

func openDir(t *testing.T, dir string) *cloudfs.FS {
	t.Helper()
	fsys, err := cloudfs.Open(context.Background(), "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

// TestFileEmptiedDirsArePruned: on file://, a directory emptied by Remove,
// RemoveAll or Rename leaves nothing on disk, so the name is free.
func TestFileEmptiedDirsArePruned(t *testing.T) {
	dir := t.TempDir()
	fsys := openDir(t, dir)
	for _, name := range []string{"a/b/c/f", "r/s/g", "keep/k", "all/x/y"} {
		if err := fsys.WriteFile(name, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fsys.Remove("a/b/c/f"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename("r", "keep/r"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.RemoveAll("all/x"); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"a", "r", "all"} {
		if _, err := os.Lstat(filepath.Join(dir, gone)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s on disk after its last file went: Lstat err = %v, want not exist", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "keep", "r", "s", "g")); err != nil {
		t.Errorf("renamed file on disk: %v", err)
	}
	for _, name := range []string{"a", "a/b", "r"} {
		if err := fsys.Remove(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Remove(%q) of an emptied dir = %v, want fs.ErrNotExist", name, err)
		}
	}
	// A directory left empty by someone else neither exists nor blocks.
	if err := os.MkdirAll(filepath.Join(dir, "stray", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove("stray/deep"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove(stray empty dir) = %v, want fs.ErrNotExist", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "stray2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fsys.WriteFile("stray2", []byte("file")); err != nil {
		t.Errorf("WriteFile over a stray empty dir: %v", err)
	}
}

// TestFileSymlinks: a link to a file reads and lists as that file; a link
// to a directory (which fileblob cannot list through) is skipped
// everywhere, so fstest.TestFS passes on a tree holding both.
func TestFileSymlinks(t *testing.T) {
	dir := t.TempDir()
	fsys := openDir(t, dir)
	if err := fsys.WriteFile("real/data.txt", []byte("twelve bytes")); err != nil {
		t.Fatal(err)
	}
	if err := fsys.WriteFile("top.txt", []byte("t")); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"linkdir": "real", "only/linkdir": "../real", "linkfile": "real/data.txt", "dangling": "nowhere"} {
		p := filepath.Join(dir, filepath.FromSlash(link))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}
	if err := fstest.TestFS(fsys, "real/data.txt", "top.txt", "linkfile"); err != nil {
		t.Fatal(err)
	}
	fi, err := fsys.Stat("linkfile")
	if err != nil || fi.Size() != 12 {
		t.Fatalf("Stat(linkfile) = %v, %v; want the target's 12 bytes", fi, err)
	}
	ents, err := fsys.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		if e.Name() == "linkfile" {
			if info, _ := e.Info(); info.Size() != 12 {
				t.Errorf("ReadDir entry linkfile has size %d, want 12", info.Size())
			}
		}
	}
	want := []string{"linkfile", "real", "top.txt"}
	if len(names) != len(want) || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] {
		t.Errorf("ReadDir(.) = %q, want %q (links to directories skipped)", names, want)
	}
	for _, name := range []string{"linkdir", "only", "dangling"} {
		if _, err := fsys.Stat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v, want fs.ErrNotExist", name, err)
		}
	}
}

// TestFileReservedNames: fileblob keeps names ending in .attrs for its
// metadata; writing one is fs.ErrInvalid with a reason, reading one is a
// missing file (so HTTP says 404, not 500).
func TestFileReservedNames(t *testing.T) {
	fsys := openDir(t, t.TempDir())
	err := fsys.WriteFile("x.attrs", []byte("x"))
	if !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("WriteFile(x.attrs) = %v, want fs.ErrInvalid", err)
	}
	if _, err := fsys.Create("d/y.attrs"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Create(d/y.attrs) = %v, want fs.ErrInvalid", err)
	}
	if err := fsys.WriteFile("plain", []byte("p")); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename("plain", "z.attrs"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Rename(plain, z.attrs) = %v, want fs.ErrInvalid", err)
	}
	for what, err := range map[string]error{
		"Stat":   func() error { _, err := fsys.Stat("plain.attrs"); return err }(),
		"Open":   func() error { _, err := fsys.Open("plain.attrs"); return err }(),
		"Read":   func() error { _, err := fsys.ReadFile("plain.attrs"); return err }(),
		"Remove": fsys.Remove("plain.attrs"),
	} {
		if !os.IsNotExist(err) {
			t.Errorf("%s(plain.attrs) = %v, want a missing file", what, err)
		}
	}
	// A directory of that name is fine.
	if err := fsys.WriteFile("v.attrs/f", []byte("f")); err != nil {
		t.Errorf("WriteFile(v.attrs/f) = %v", err)
	}
	if fi, err := fsys.Stat("v.attrs"); err != nil || !fi.IsDir() {
		t.Errorf("Stat(v.attrs) = %v, %v; want a directory", fi, err)
	}
	srv := httptest.NewServer(http.FileServerFS(fsys))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/plain.attrs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /plain.attrs = %s, want 404", resp.Status)
	}
}

// TestMissingRoots: Sub of a missing directory and a prefix= with no keys
// read as a missing directory, as os.DirFS of one does, not as an empty
// tree; writing through them creates them.
func TestMissingRoots(t *testing.T) {
	fsys, err := cloudfs.Open(context.Background(), "mem://?prefix=run/")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if _, err := fsys.ReadDir("."); !os.IsNotExist(err) {
		t.Errorf("ReadDir(.) of a prefix with no keys = %v, want not exist", err)
	}
	if _, err := fsys.Stat("."); !os.IsNotExist(err) {
		t.Errorf("Stat(.) of a prefix with no keys = %v, want not exist", err)
	}
	if err := fsys.WriteFile("a/f", []byte("f")); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.ReadDir("."); err != nil {
		t.Errorf("ReadDir(.) after a write = %v", err)
	}
	sub, err := fsys.Sub("nodir")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadDir(sub, "."); !os.IsNotExist(err) {
		t.Errorf("ReadDir(.) of Sub(nodir) = %v, want not exist", err)
	}
	if _, err := fs.Stat(sub, "."); !os.IsNotExist(err) {
		t.Errorf("Stat(.) of Sub(nodir) = %v, want not exist", err)
	}
	fileSub, _ := fsys.Sub("a/f")
	if _, err := fs.ReadDir(fileSub, "."); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("ReadDir(.) of Sub(a file) = %v, want ENOTDIR", err)
	}
	root, _ := cloudfs.Open(context.Background(), "mem://")
	defer root.Close()
	if ents, err := root.ReadDir("."); err != nil || len(ents) != 0 {
		t.Errorf("ReadDir(.) of an empty bucket = %v, %v; want an empty directory", ents, err)
	}
}

// TestFilePruneSparesWritesInProgress: removing a directory's last file
// while another file is being written into it must not remove the
// directory from under that write.
func TestFilePruneSparesWritesInProgress(t *testing.T) {
	fsys := openDir(t, t.TempDir())
	for i := range 50 {
		if err := fsys.WriteFile("d/old", []byte("o")); err != nil {
			t.Fatal(err)
		}
		w, err := fsys.Create(fmt.Sprintf("d/new%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(make([]byte, 64<<10)); err != nil { // past what gocloud buffers before the driver starts
			t.Fatal(err)
		}
		if err := fsys.Remove("d/old"); err != nil { // d holds no file now
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("round %d: Close after the directory's last file went: %v", i, err)
		}
		if err := fsys.Remove(fmt.Sprintf("d/new%d", i)); err != nil {
			t.Fatal(err)
		}
	}
}
