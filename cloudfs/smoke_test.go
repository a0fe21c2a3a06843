package cloudfs_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/burst-dev/burst/cloudfs"
)

func TestSmokeFSTest(t *testing.T) {
	for _, u := range []string{"mem://", "file://" + t.TempDir()} {
		f, err := cloudfs.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"a.txt", "d/b.txt", "d/e/c.txt", "empty", "sp ace/ü.txt"}
		for _, n := range names {
			if err := f.WriteFile(n, []byte("hello "+n)); err != nil {
				t.Fatal(err)
			}
		}
		if err := fstest.TestFS(f, names...); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}
