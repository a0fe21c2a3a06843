package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burst-dev/burst/examples/port/internal/porttest"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers/providerstest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// tree writes 40 files with 22 duplicates among them under dir/tree, some
// with names that are not ASCII, and returns dir.
func tree(t *testing.T) string {
	dir := t.TempDir()
	for i := range 40 {
		name := fmt.Sprintf("d%d/f%02d", i%5, i)
		if i%7 == 0 {
			name += "-café"
		}
		path := filepath.Join(dir, "tree", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(fmt.Sprint(i%18)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// files lists the regular files under root of fsys, one a line.
func files(t *testing.T, fsys fs.FS) string {
	t.Helper()
	var names []string
	err := fs.WalkDir(fsys, "tree", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			names = append(names, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, "\n")
}

// On every backend, with the files in an S3-compatible server and the map
// in Redis, the port prints what the original prints reading them from
// disk, run after run (each run's shared map is its own), and -delete
// leaves the files the original's -delete leaves.
func TestSameOutputAsTheOriginalOnEveryBackend(t *testing.T) {
	dir := tree(t)
	want := porttest.Original(t, "../original", dir, "tree")
	if n := bytes.Count([]byte(want), []byte("\n")); n != 22 {
		t.Fatalf("the original found %d duplicates, want 22", n)
	}
	delDir := tree(t)
	if got := porttest.Original(t, "../original", delDir, "-delete", "tree"); got != want {
		t.Fatalf("the original's -delete printed\n%s\nwant\n%s", got, want)
	}
	wantLeft := files(t, os.DirFS(delDir))
	if n := strings.Count(wantLeft, "\n") + 1; n != 40-22 {
		t.Fatalf("the original's -delete left %d files, want %d", n, 40-22)
	}
	stores := porttest.StartStores(t)
	porttest.EveryBackend(t, func(t *testing.T, b providerstest.Backend) {
		open := porttest.Runs(t, b, stores.Upload(t, dir))
		// Two runs on the same Redis: the second, with -delete, finds
		// the same duplicates only if the first's claims are not
		// there any more.
		for _, del := range []bool{false, true} {
			env := open()
			defer env.Close()
			var got bytes.Buffer
			if err := run(context.Background(), env, "tree", del, &got); err != nil {
				t.Fatal(err)
			}
			if got.String() != want {
				t.Fatalf("-delete=%v: got\n%s\nwant (the original's)\n%s", del, got.String(), want)
			}
			if !del {
				continue
			}
			if left := files(t, env.FS); left != wantLeft {
				t.Fatalf("-delete left\n%s\nthe original's left\n%s", left, wantLeft)
			}
		}
	})
}
