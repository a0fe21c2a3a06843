// Command ported prints the MD5 sum of every regular file under a
// directory, sorted by path: examples/port/md5all/original ported to burst.
// The walker and the collector stay local goroutines of the group
// (Group.GoLocal); each file is digested by a pool function, on whatever
// backend -backend names. docs/porting.md shows the difference.
package main

import (
	"context"
	"crypto/md5"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
)

func main() {
	pool.Main()
	backend := flag.String("backend", "process://", "pool URL")
	flag.Parse()
	p, err := pool.Open(context.Background(), *backend)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	m, err := MD5All(context.Background(), p, flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	report(os.Stdout, m)
}

func report(w io.Writer, m map[string][md5.Size]byte) {
	var paths []string
	for path := range m {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		fmt.Fprintf(w, "%x  %s\n", m[path], path)
	}
}

type result struct {
	Path string
	Sum  [md5.Size]byte
}

var digest = pool.Register("md5all.digest", func(ctx context.Context, path string) (result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return result{}, err
	}
	return result{path, md5.Sum(data)}, nil
})

// MD5All reads all the files in the file tree rooted at root and returns a
// map from file path to the MD5 sum of the file's contents. If the directory
// walk fails or any read operation fails, MD5All returns an error.
func MD5All(ctx context.Context, p *pool.Pool, root string) (map[string][md5.Size]byte, error) {
	g, ctx := pool.WithContext(ctx, p)
	paths := make(chan string)

	g.GoLocal(func(ctx context.Context) error {
		defer close(paths)
		return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			select {
			case paths <- path:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
	})

	c := make(chan result)
	const numDigesters = 20
	for range numDigesters {
		g.GoLocal(func(ctx context.Context) error {
			for path := range paths {
				r, err := digest.Call(ctx, p, path)
				if err != nil {
					return err
				}
				select {
				case c <- r:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	go func() {
		g.Wait()
		close(c)
	}()

	m := make(map[string][md5.Size]byte)
	for r := range c {
		m[r.Path] = r.Sum
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return m, nil
}
