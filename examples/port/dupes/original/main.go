// Command original finds duplicate files under a directory: it hashes every
// regular file concurrently and keeps, under a mutex, a map from content hash
// to the first path (in sort order) with that content. It prints each
// duplicate beside the file it duplicates, sorted, and with -delete removes
// the duplicates. examples/port/dupes/ported is the same program on a burst
// pool, with the map in shared state.
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
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
)

func main() {
	del := flag.Bool("delete", false, "remove the duplicates")
	flag.Parse()
	if err := run(context.Background(), flag.Arg(0), *del, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, root string, del bool, w io.Writer) error {
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

	var (
		mu    sync.Mutex
		first = map[string]string{} // content hash -> first path in sort order
		dups  []dup
	)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, path := range files {
		g.Go(func() error {
			sum, err := hashFile(path)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			old, seen := first[sum]
			switch {
			case !seen:
				first[sum] = path
			case path < old:
				first[sum] = path
				dups = append(dups, dup{old, sum})
			default:
				dups = append(dups, dup{path, sum})
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return report(w, dups, first, del)
}

type dup struct{ path, sum string }

func report(w io.Writer, dups []dup, first map[string]string, del bool) error {
	sort.Slice(dups, func(i, j int) bool { return dups[i].path < dups[j].path })
	for _, d := range dups {
		fmt.Fprintf(w, "%s  same as  %s\n", d.path, first[d.sum])
		if del {
			if err := os.Remove(d.path); err != nil {
				return err
			}
		}
	}
	return nil
}

func hashFile(path string) (string, error) {
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
