package cloudfs_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
)

func TestCreateExclusive(t *testing.T) {
	for _, u := range []string{"mem://", "file://" + t.TempDir()} {
		f, err := cloudfs.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.CreateExclusive("a/lease", []byte("one")); err != nil {
			t.Fatalf("%s: first create: %v", u, err)
		}
		err = f.CreateExclusive("a/lease", []byte("two"))
		if !errors.Is(err, fs.ErrExist) || !os.IsExist(err) {
			t.Errorf("%s: second create: err = %v (os.IsExist %v), want fs.ErrExist for both errors.Is and os.IsExist", u, err, os.IsExist(err))
		}
		if b, _ := f.ReadFile("a/lease"); string(b) != "one" {
			t.Errorf("%s: file holds %q after a refused create, want %q", u, b, "one")
		}
		f.Close()
	}
}
