package azblobpin_test

import (
	"context"
	"errors"
	"io"
	"log"

	"github.com/burst-dev/burst/cloudfs"
	_ "github.com/burst-dev/burst/cloudfs/azblobpin" // azblob:// with reads pinned to the opened version
)

func Example() {
	ctx := context.Background()
	fsys, err := cloudfs.Open(ctx, "azblob://my-container?storage_account=myaccount")
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()
	f, err := fsys.WithContext(ctx).Open("runs/42/frames.zip")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	// Reads at any offset return bytes of the blob Open saw, or fail.
	if _, err := f.(io.ReaderAt).ReadAt(buf, 1<<20); errors.Is(err, cloudfs.ErrChanged) {
		log.Print("frames.zip was replaced while open; open it again")
	}
}
