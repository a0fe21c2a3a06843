// Command ported prints the MD5 sum of every regular file under a
// directory, sorted by path: examples/port/md5all/original ported to burst.
// The walker and the collector stay local goroutines of the group
// (Group.GoLocal); each file is digested by a pool function. The pool and
// the storage the files are in come from burst.yaml (providers): DIR is a
// directory of its storage (storage: file:///abs/dir for the local disk),
// which the workers read wherever they run. docs/porting.md shows the
// difference.
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
	"sort"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers"
	_ "github.com/burst-dev/burst/providers/all" // every backend and store burst.yaml may name
)

func main() {
	pool.Main()
	config := flag.String("config", "", "burst.yaml (default: the one found)")
	flag.Parse()
	env, err := providers.OpenPath(context.Background(), *config)
	if err != nil {
		log.Fatal(err)
	}
	defer env.Close()
	m, err := MD5All(context.Background(), env, flag.Arg(0))
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
	fsys, err := providers.StorageFromContext(ctx)
	if err != nil {
		return result{}, err
	}
	data, err := fsys.WithContext(ctx).ReadFile(path)
	if err != nil {
		return result{}, err
	}
	return result{path, md5.Sum(data)}, nil
})

// MD5All reads all the files in the file tree rooted at root and returns a
// map from file path to the MD5 sum of the file's contents. If the directory
// walk fails or any read operation fails, MD5All returns an error.
func MD5All(ctx context.Context, env *providers.Env, root string) (map[string][md5.Size]byte, error) {
	g, ctx := pool.WithContext(ctx, env.Pool)
	paths := make(chan string)

	g.GoLocal(func(ctx context.Context) error {
		defer close(paths)
		return fs.WalkDir(env.FS.WithContext(ctx), root, func(path string, d fs.DirEntry, err error) error {
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
				r, err := digest.Call(ctx, env.Pool, path)
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
