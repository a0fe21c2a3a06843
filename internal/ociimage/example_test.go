package ociimage_test

import (
	"context"
	"fmt"
	"log"

	"github.com/burst-dev/burst/internal/ociimage"
)

// Build an image from a static linux binary and push it; a second push of
// the same binary uploads nothing.
func Example() {
	ctx := context.Background()
	img, err := ociimage.Build(ociimage.Options{Binary: "burst-worker", GOARCH: "amd64", BuildID: "go-1234"})
	if err != nil {
		log.Fatal(err)
	}
	ref, pushed, err := ociimage.Push(ctx, "registry.example.com/me/burst-worker:latest", img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ref, pushed)
}
