// Command pool prints the SHA-256 of every file under a directory, hashing
// them on a burst pool: examples/port/errgroup ported, touching only the lines
// that start work and collect results (see docs/porting.md).
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

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
)

var hash = pool.Register("port.hash", hashFile)

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
	pool.Main()
	limit := flag.Int("limit", 8, "files hashed at once")
	backend := flag.String("backend", "process://?workers=2", "pool URL")
	flag.Parse()
	if err := run(context.Background(), *backend, flag.Arg(0), *limit, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, backend, root string, limit int, w io.Writer) error {
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

	p, err := pool.Open(ctx, backend)
	if err != nil {
		return err
	}
	defer p.Close()
	g, ctx := pool.WithContext(ctx, p)
	g.SetLimit(limit)
	sums := make([]*pool.Future[string], len(files))
	for i, path := range files {
		sums[i] = hash.Go(g, path)
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, path := range files {
		sum, _ := sums[i].Get(ctx)
		fmt.Fprintf(w, "%s  %s\n", sum, path)
	}
	return nil
}
