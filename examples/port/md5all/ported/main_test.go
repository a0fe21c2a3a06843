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
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

func TestSameOutputAsTheOriginalOnEveryBackend(t *testing.T) {
	root := t.TempDir()
	for i := range 41 {
		path := filepath.Join(root, fmt.Sprintf("d%d", i%4), fmt.Sprintf("f%02d", i))
		if i == 40 {
			path = filepath.Join(root, "caf\xe9.txt") // a Latin-1 name: not UTF-8
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, bytes.Repeat([]byte{byte(i)}, 100*i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := porttest.Original(t, "../original", root)
	for name, p := range porttest.Backends(t) {
		t.Run(name, func(t *testing.T) {
			m, err := MD5All(context.Background(), p, root)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			report(&got, m)
			if got.String() != want {
				t.Fatalf("got\n%s\nwant (the original's)\n%s", got.String(), want)
			}
		})
	}
}

func TestMissingRootFailsAsInTheOriginal(t *testing.T) {
	for name, p := range porttest.Backends(t) {
		t.Run(name, func(t *testing.T) {
			_, err := MD5All(context.Background(), p, filepath.Join(t.TempDir(), "nowhere"))
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("err = %v, want one that is fs.ErrNotExist, as the original's", err)
			}
		})
	}
}
