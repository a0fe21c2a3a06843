package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/burst-dev/burst/examples/port/internal/porttest"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers"
	_ "github.com/burst-dev/burst/providers/all" // the workers of every backend
	"github.com/burst-dev/burst/providers/providerstest"
)

// tree writes files with known contents and returns the expected output,
// computed directly rather than by either program.
func tree(t *testing.T) (string, string) {
	root := t.TempDir()
	var want bytes.Buffer
	for i := range 25 {
		dir := filepath.Join(root, fmt.Sprintf("d%d", i%3))
		os.MkdirAll(dir, 0o755)
		path := filepath.Join(dir, fmt.Sprintf("f%02d.txt", i))
		if i == 7 {
			path = filepath.Join(dir, "caf\xe9.txt") // Latin-1: JSON sent the worker another name
		}
		data := bytes.Repeat([]byte{byte(i)}, i*1000)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(path)
			sum := sha256.Sum256(b)
			fmt.Fprintf(&want, "%s  %s\n", hex.EncodeToString(sum[:]), path)
		}
		return nil
	})
	return root, want.String()
}

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// On every backend of providerstest, chosen by the pool URL its burst.yaml
// gives, the port prints the sums of the files on the local disk, which
// every stand-in's workers (processes of this machine) can read.
func TestHashesEveryFileOnEveryBackend(t *testing.T) {
	root, want := tree(t)
	porttest.EveryBackend(t, func(t *testing.T, b providerstest.Backend) {
		cfg, err := providers.Parse("burst.yaml", []byte(porttest.Config(t, b, "")))
		if err != nil {
			t.Fatal(err)
		}
		backend, err := cfg.PoolURL()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := run(context.Background(), backend, root, 4, &got); err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		if got.String() != want {
			t.Fatalf("%s: got\n%s\nwant\n%s", backend, got.String(), want)
		}
	})
}

func TestMissingFileIsAnError(t *testing.T) {
	var got bytes.Buffer
	if err := run(context.Background(), "local://", "/no/such/dir", 4, &got); err == nil {
		t.Fatal("no error for a missing directory")
	}
}
