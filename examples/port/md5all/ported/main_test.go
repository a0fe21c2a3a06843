package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/burst-dev/burst/examples/port/internal/porttest"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers/providerstest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// tree writes 41 files under dir/tree, one with a name that is not ASCII.
func tree(t *testing.T, dir string) {
	for i := range 41 {
		path := filepath.Join(dir, "tree", fmt.Sprintf("d%d", i%4), fmt.Sprintf("f%02d", i))
		if i == 40 {
			path = filepath.Join(dir, "tree", "café.txt")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, bytes.Repeat([]byte{byte(i)}, 100*i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// On every backend, with the files in an S3-compatible server, the port
// prints what the original prints reading them from disk, and fails as the
// original does on a missing root or file.
func TestSameOutputAsTheOriginalOnEveryBackend(t *testing.T) {
	dir := t.TempDir()
	tree(t, dir)
	want := porttest.Original(t, "../original", dir, "tree")
	if n := bytes.Count([]byte(want), []byte("\n")); n != 41 {
		t.Fatalf("the original printed %d sums, want 41", n)
	}
	stores := porttest.StartStores(t).Upload(t, dir)
	porttest.EveryBackend(t, func(t *testing.T, b providerstest.Backend) {
		env := porttest.Runs(t, b, stores)()
		defer env.Close()
		ctx := context.Background()
		m, err := MD5All(ctx, env, "tree")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		report(&got, m)
		if got.String() != want {
			t.Fatalf("got\n%s\nwant (the original's)\n%s", got.String(), want)
		}
		if _, err := MD5All(ctx, env, "nowhere"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing root: err = %v, want one that is fs.ErrNotExist, as the original's", err)
		}
		var pe *fs.PathError
		if _, err := digest.Call(ctx, env.Pool, "tree/missing"); !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) {
			t.Errorf("missing file: err = %v, want an *fs.PathError that is fs.ErrNotExist, as the original's os.ReadFile", err)
		}
	})
}
