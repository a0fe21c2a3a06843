package cloudfs_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"

	"github.com/burst-dev/burst/cloudfs"
)

func Example() {
	ctx := context.Background()
	fsys, err := cloudfs.Open(ctx, "mem://?prefix=runs/42/")
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()

	// Writes take the context bound with WithContext.
	cfs := fsys.WithContext(ctx)
	for _, name := range []string{"round-1/replica-0.json", "round-1/replica-1.json", "summary.txt"} {
		if err := cfs.WriteFile(name, []byte("{}")); err != nil {
			log.Fatal(err)
		}
	}

	// Reads are io/fs.
	err = fs.WalkDir(cfs, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fmt.Println(name, d.IsDir())
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	if err := cfs.Remove("summary.txt"); err != nil {
		log.Fatal(err)
	}
	_, err = fs.ReadFile(cfs, "summary.txt")
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output:
	// . true
	// round-1 true
	// round-1/replica-0.json false
	// round-1/replica-1.json false
	// summary.txt false
	// true
}

func ExampleFS_Create() {
	ctx := context.Background()
	fsys, err := cloudfs.Open(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()

	w, err := fsys.Create("log/events.txt")
	if err != nil {
		log.Fatal(err)
	}
	for i := range 3 {
		fmt.Fprintf(w, "event %d\n", i)
	}
	// Not visible before Close.
	_, err = fsys.Stat("log/events.txt")
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	data, err := fs.ReadFile(fsys, "log/events.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	// Output:
	// true
	// event 0
	// event 1
	// event 2
}
