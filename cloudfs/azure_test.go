package cloudfs_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"gocloud.dev/blob"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/internal/testenv"
)

// An upload to Azure that fails is an error of Close that says why, never
// a panic: gocloud v0.47's azureblob writer panicked (a nil pipe reader)
// in Close when the upload failed after Close began, as when the
// container is gone by then or the emulator dies mid-write.
func TestAzureFailedUploadIsAnError(t *testing.T) {
	az := testenv.StartAzurite(t)
	// Sizes of a single Put Blob and of blocks staged before Close.
	for _, size := range []int{100, 3 << 20} {
		fsys, err := cloudfs.Open(context.Background(), az.BucketURL(t, "vanishing")+"&part_size=1MiB")
		if err != nil {
			t.Fatal(err)
		}
		w, err := fsys.Create("out.bin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(bytes.Repeat([]byte("x"), size/2)); err != nil {
			t.Fatal(err)
		}
		var c *container.Client
		if !fsys.Bucket().As(&c) {
			t.Fatal("Bucket().As(*container.Client) = false")
		}
		if _, err := c.Delete(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		_, werr := w.Write(bytes.Repeat([]byte("x"), size-size/2))
		err = closeNoPanic(t, w)
		t.Logf("%d bytes: Close after the container went: %v", size, err)
		if werr != nil {
			t.Logf("%d bytes: Write after the container went: %v", size, werr)
		}
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `container "vanishing" does not exist`) {
			t.Errorf("%d bytes: Close after the container went: %v, want fs.ErrNotExist saying container \"vanishing\" does not exist", size, err)
		}
		fsys.Close()
	}

	fsys, err := cloudfs.Open(context.Background(), az.BucketURL(t, "killed")+"&part_size=1MiB")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	w, err := fsys.Create("out.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 3<<20)); err != nil {
		t.Fatal(err)
	}
	az.Kill()
	_, _ = w.Write(make([]byte, 1<<20)) // may or may not see it yet
	err = closeNoPanic(t, w)
	t.Logf("Close with the emulator killed mid-write: %v", err)
	if err == nil || !strings.Contains(err.Error(), "out.bin") {
		t.Errorf("Close with the emulator killed mid-write: %v, want an error naming out.bin", err)
	}
}

// closeNoPanic closes w, failing the test if Close panics or reports a
// panic it recovered from.
func closeNoPanic(t *testing.T, w *cloudfs.Writer) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Close panicked: %v", r)
			err = errors.New("panicked")
		}
	}()
	err = w.Close()
	if err != nil && strings.Contains(err.Error(), "panic") {
		t.Errorf("Close: %v, want the upload's error, not a recovered panic", err)
	}
	return err
}

// An FS made by New does not know its bucket is Azure's, so it cannot
// avoid the driver's panic; it turns it into an error saying the upload
// failed, naming the file (where before a refused CreateExclusive
// panicked).
func TestAzureNewDriverPanicIsAnError(t *testing.T) {
	az := testenv.StartAzurite(t)
	b, err := blob.OpenBucket(context.Background(), az.BucketURL(t, "bynew"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := cloudfs.New(b, nil)
	defer fsys.Close()
	if err := fsys.CreateExclusive("lease", []byte("one")); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("second CreateExclusive panicked: %v", r)
			}
		}()
		err = fsys.CreateExclusive("lease", []byte("two"))
	}()
	t.Logf("second CreateExclusive: %v", err)
	if err == nil || !strings.Contains(err.Error(), "lease") {
		t.Errorf("second CreateExclusive: %v, want an error naming the file", err)
	}
}
