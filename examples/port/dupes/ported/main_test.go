package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/burst-dev/burst/examples/port/internal/porttest"
	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/providers"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// tree writes 22 duplicates among 40 files, some with Latin-1 names.
func tree(t *testing.T) string {
	root := t.TempDir()
	for i := range 40 {
		name := fmt.Sprintf("d%d/f%02d", i%5, i)
		if i%7 == 0 {
			name += "-caf\xe9"
		}
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(fmt.Sprint(i%18)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func configs(t *testing.T) map[string]string {
	rd := testenv.StartRedis(t, testenv.RedisOptions{})
	w := httpfntest.StartWorker(t, "knative-worker", func(port int) []string {
		return []string{"K_SERVICE=dupes", "K_REVISION=dupes-00001", fmt.Sprintf("PORT=%d", port)}
	})
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	sharedKey := "shared: \"" + rd.URL(nil) + "\"\n"
	return map[string]string{
		"local":   "compute:\n  backend: local\n",
		"encoded": "compute:\n  url: \"local://?encode=1\"\n",
		"process": "compute:\n  backend: process\n  workers: 2\n" + sharedKey,
		"http":    "compute:\n  url: \"knative://" + w.Addr + "?tls=false\"\n" + sharedKey,
	}
}

func runWith(t *testing.T, yaml, root string, del bool) string {
	t.Helper()
	cfg, err := providers.Parse("burst.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	env, err := providers.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	var out bytes.Buffer
	if err := run(context.Background(), env, root, del, &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// The port prints what the original prints, on every backend, run after
// run: each run's shared map is its own.
func TestSameOutputAsTheOriginalOnEveryBackend(t *testing.T) {
	root := tree(t)
	want := porttest.Original(t, "../original", root)
	if n := bytes.Count([]byte(want), []byte("\n")); n != 22 {
		t.Fatalf("the original found %d duplicates, want 22", n)
	}
	for name, yaml := range configs(t) {
		t.Run(name, func(t *testing.T) {
			for run := range 2 {
				if got := runWith(t, yaml, root, false); got != want {
					t.Fatalf("run %d: got\n%s\nwant (the original's)\n%s", run+1, got, want)
				}
			}
		})
	}
}

func TestDeleteLeavesOneOfEach(t *testing.T) {
	for name, yaml := range configs(t) {
		t.Run(name, func(t *testing.T) {
			root := tree(t)
			if got := runWith(t, yaml, root, true); got == "" {
				t.Fatal("no duplicates found")
			}
			if got := runWith(t, yaml, root, false); got != "" {
				t.Fatalf("after -delete: %q, want no duplicates", got)
			}
		})
	}
}
