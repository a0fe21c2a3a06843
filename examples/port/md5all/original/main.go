// Command original prints the MD5 sum of every regular file under a
// directory, sorted by path: the bounded pipeline of the MD5All example in
// golang.org/x/sync/errgroup's documentation, written as a program. A walker
// sends paths down a channel, a fixed number of digesters read files and send
// results, and the caller collects them; the first error cancels the rest.
// examples/port/md5all/ported is the same program on a burst pool.
package main

import (
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sync/errgroup"
)

func main() {
	m, err := MD5All(context.Background(), os.Args[1])
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
	path string
	sum  [md5.Size]byte
}

// MD5All reads all the files in the file tree rooted at root and returns a
// map from file path to the MD5 sum of the file's contents. If the directory
// walk fails or any read operation fails, MD5All returns an error.
func MD5All(ctx context.Context, root string) (map[string][md5.Size]byte, error) {
	g, ctx := errgroup.WithContext(ctx)
	paths := make(chan string)

	g.Go(func() error {
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
		g.Go(func() error {
			for path := range paths {
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				select {
				case c <- result{path, md5.Sum(data)}:
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
		m[r.path] = r.sum
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return m, nil
}
