// Command errgroup prints the SHA-256 of every file under a directory,
// hashing them concurrently with errgroup. examples/port/pool is the same
// program ported to burst; docs/porting.md shows the difference.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"
)

func hashFile(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func main() {
	limit := flag.Int("limit", 8, "files hashed at once")
	flag.Parse()
	if err := run(context.Background(), flag.Arg(0), *limit, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, root string, limit int, w io.Writer) error {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return err
	}

	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	sums := make([]string, len(files))
	for i, path := range files {
		g.Go(func() error {
			sum, err := hashFile(ctx, path)
			sums[i] = sum
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, path := range files {
		fmt.Fprintf(w, "%s  %s\n", sums[i], path)
	}
	return nil
}
