package s3upload_test

import (
	"context"
	"log"

	"github.com/burst-dev/burst/cloudfs"
	_ "github.com/burst-dev/burst/cloudfs/s3upload" // s3:// with one part in memory per upload
)

func Example() {
	ctx := context.Background()
	fsys, err := cloudfs.Open(ctx, "s3://my-bucket?region=eu-de&endpoint=https://s3.eu-de.cloud-object-storage.appdomain.cloud&use_path_style=true&part_size=16MiB")
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close()
	w, err := fsys.WithContext(ctx).Create("runs/42/trajectory.bin")
	if err != nil {
		log.Fatal(err)
	}
	// Writes of any total size hold one 16 MiB part in memory.
	if _, err := w.Write([]byte("...")); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
}
