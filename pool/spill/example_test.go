package spill_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/pool/spill"
)

func fsOf(t *testing.T, dir string) fs.FS {
	fsys, err := cloudfs.Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "spill")
	defer os.RemoveAll(dir)
	store, err := spill.Open(ctx, "file://"+dir) // s3://bucket?prefix=jobs/ in a cloud
	if err != nil {
		panic(err)
	}
	defer store.Close()
	store.Put(ctx, "burst-spill/job/7.in", []byte("a large input"))
	b, _ := store.Get(ctx, "burst-spill/job/7.in")
	fmt.Println(string(b))
	// Output: a large input
}
