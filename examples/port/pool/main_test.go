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

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	_ "github.com/burst-dev/burst/pool/knative"
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

var _ = context.Background

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

func TestHashesEveryFileOnEveryBackend(t *testing.T) {
	root, want := tree(t)
	w := httpfntest.StartWorker(t, "knative-worker", func(port int) []string {
		return []string{"K_SERVICE=port-test", "K_REVISION=port-test-00001", fmt.Sprintf("PORT=%d", port)}
	})
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	for _, backend := range []string{"local://", "local://?encode=1", "process://?workers=2", "knative://" + w.Addr + "?tls=false"} {
		var got bytes.Buffer
		if err := run(context.Background(), backend, root, 4, &got); err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		if got.String() != want {
			t.Fatalf("%s: got\n%s\nwant\n%s", backend, got.String(), want)
		}
	}
}

func TestMissingFileIsAnError(t *testing.T) {
	var got bytes.Buffer
	if err := run(context.Background(), "local://", "/no/such/dir", 4, &got); err == nil {
		t.Fatal("no error for a missing directory")
	}
}
