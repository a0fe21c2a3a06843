// Command ported finds duplicate files under a directory:
// examples/port/dupes/original ported to burst. Each file is hashed by a
// pool function, which claims its hash in a shared.Map (LoadOrStore, then
// CompareAndSwap to keep the first path in sort order) where the original
// took a mutex around a map. The pool, storage and shared state come from
// burst.yaml (providers): DIR is a directory of its storage (storage:
// file:///abs/dir for the local disk), which the workers read wherever they
// run; each run's shared state is its own and is dropped when the run ends.
// docs/porting.md shows the difference.
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
	"sort"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers"
	_ "github.com/burst-dev/burst/providers/all" // every backend and store burst.yaml may name
	"github.com/burst-dev/burst/shared"
)

func main() {
	pool.Main()
	del := flag.Bool("delete", false, "remove the duplicates")
	config := flag.String("config", "", "burst.yaml (default: the one found, or everything in this process)")
	flag.Parse()
	env, err := providers.OpenPath(context.Background(), *config)
	if err != nil {
		log.Fatal(err)
	}
	defer env.Close()
	if err := run(context.Background(), env, flag.Arg(0), *del, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, env *providers.Env, root string, del bool, w io.Writer) error {
	var files []string
	err := fs.WalkDir(env.FS.WithContext(ctx), root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return err
	}

	g, _ := pool.WithContext(ctx, env.Pool)
	g.SetLimit(8)
	claims := make([]*pool.Future[dup], len(files))
	for i, path := range files {
		claims[i] = claim.Go(g, path)
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var dups []dup
	for _, c := range claims {
		if d, _ := c.Get(ctx); d.Path != "" {
			dups = append(dups, d)
		}
	}
	return report(ctx, w, dups, shared.NewMap[string, string](env.Shared, "first"), env.FS.WithContext(ctx), del)
}

type dup struct{ Path, Sum string }

// claim hashes a file and records it as the first of its content, or returns
// it (or the path it displaced) as a duplicate.
var claim = pool.Register("dupes.claim", func(ctx context.Context, path string) (dup, error) {
	env, err := providers.FromContext(ctx)
	if err != nil {
		return dup{}, err
	}
	sum, err := hashFile(env.FS.WithContext(ctx), path)
	if err != nil {
		return dup{}, err
	}
	first := shared.NewMap[string, string](env.Shared, "first")
	for {
		old, seen, err := first.LoadOrStore(ctx, sum, path)
		switch {
		case err != nil:
			return dup{}, err
		case !seen:
			return dup{}, nil
		case path < old:
			swapped, err := first.CompareAndSwap(ctx, sum, old, path)
			if err != nil {
				return dup{}, err
			}
			if swapped {
				return dup{old, sum}, nil
			}
		default:
			return dup{path, sum}, nil
		}
	}
})

func report(ctx context.Context, w io.Writer, dups []dup, first *shared.Map[string, string], fsys *cloudfs.FS, del bool) error {
	sort.Slice(dups, func(i, j int) bool { return dups[i].Path < dups[j].Path })
	for _, d := range dups {
		orig, _, err := first.Load(ctx, d.Sum)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s  same as  %s\n", d.Path, orig)
		if del {
			if err := fsys.Remove(d.Path); err != nil {
				return err
			}
		}
	}
	return nil
}

func hashFile(fsys fs.FS, path string) (string, error) {
	f, err := fsys.Open(path)
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
