package providers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	_ "github.com/burst-dev/burst/pool/knative"
	"github.com/burst-dev/burst/providers"
	"github.com/burst-dev/burst/shared"
	_ "github.com/burst-dev/burst/shared/redis"
)

// note records a call in the driver's storage and shared state, which it
// reaches through its context.
var note = pool.Register("providers.note", func(ctx context.Context, key string) (int64, error) {
	env, err := providers.FromContext(ctx)
	if err != nil {
		return 0, err
	}
	if err := env.FS.WithContext(ctx).WriteFile("notes/"+key, []byte(key)); err != nil {
		return 0, err
	}
	return shared.NewCounter(env.Shared, "notes").Add(ctx, 1)
})

func openYAML(t *testing.T, yaml string) *providers.Env {
	t.Helper()
	cfg, err := providers.Parse("burst.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	env, err := providers.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	return env
}

// computes are the backends a function runs on in these tests: in the
// driver, in worker processes, and in an HTTP function (a Knative worker,
// this test binary started as one), with stores every one of them reaches.
func computes(t *testing.T, rd *testenv.Redis) []struct{ name, yaml string } {
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	kn := httpfntest.StartWorker(t, "knative-worker", func(port int) []string {
		return []string{"K_SERVICE=burst-test", "K_REVISION=burst-test-00001", fmt.Sprintf("PORT=%d", port)}
	})
	stores := "storage: file://" + t.TempDir() + "\nshared: \"" + rd.URL(nil) + "\"\n"
	return []struct{ name, yaml string }{
		{"local", "compute:\n  backend: local\nshared: \"" + rd.URL(nil) + "\"\n"},
		{"process", "compute:\n  backend: process\n  workers: 2\n" + stores},
		{"knative", "compute:\n  url: 'knative://" + kn.Addr + "?tls=false'\n" + stores},
	}
}

// A function reaches the driver's storage and shared state on every
// backend, and what it writes is what the driver reads.
func TestFunctionsReachTheDriversStores(t *testing.T) {
	noEnv(t)
	rd := testenv.StartRedis(t, testenv.RedisOptions{})
	for _, c := range computes(t, rd) {
		t.Run(c.name, func(t *testing.T) {
			env := openYAML(t, c.yaml)
			ctx := context.Background()
			if _, err := note.Map(ctx, env.Pool, []string{"a", "b", "c", "d", "e"}); err != nil {
				t.Fatal(err)
			}
			n, err := shared.NewCounter(env.Shared, "notes").Load(ctx)
			if err != nil || n != 5 {
				t.Fatalf("the driver's counter = %d, %v; want the 5 calls' increments", n, err)
			}
			if b, err := env.FS.ReadFile("notes/c"); err != nil || string(b) != "c" {
				t.Fatalf("the driver's storage: %q, %v", b, err)
			}
		})
	}
}

func TestInMemoryStoresRefusedForWorkerProcesses(t *testing.T) {
	noEnv(t)
	for _, key := range []string{"shared", "storage"} {
		_, err := providers.Parse("burst.yaml", []byte("compute:\n  backend: process\n"+key+": mem://\n"))
		if err == nil || !strings.Contains(err.Error(), "other processes") {
			t.Errorf("process with %s: mem:// = %v, want refused", key, err)
		}
	}
	// Unset, they default to mem://: the driver may use them, but a function
	// asking for them gets a clear error instead of stores of its own.
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	kn := httpfntest.StartWorker(t, "knative-worker", func(port int) []string {
		return []string{"K_SERVICE=burst-test", "K_REVISION=burst-test-00001", fmt.Sprintf("PORT=%d", port)}
	})
	for _, compute := range []string{"backend: process\n  workers: 1", "url: 'knative://" + kn.Addr + "?tls=false'"} {
		env := openYAML(t, "compute:\n  "+compute+"\n")
		_, err := note.Call(context.Background(), env.Pool, "x")
		if err == nil || !strings.Contains(err.Error(), "cannot reach") {
			t.Errorf("%s: err = %v, want the function told the driver's mem:// stores are out of reach", compute, err)
		}
	}
}

// Each run gets a shared namespace of its own, dropped when it ends, so a
// second run starts empty; a namespace named in the URL is kept.
func TestSharedNamespacePerRun(t *testing.T) {
	noEnv(t)
	rd := testenv.StartRedis(t, testenv.RedisOptions{})
	ctx := context.Background()
	count := func(env *providers.Env) int64 {
		n, err := shared.NewCounter(env.Shared, "runs").Add(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	yaml := "shared: \"" + rd.URL(nil) + "\"\n"
	first := openYAML(t, yaml)
	second := openYAML(t, yaml)
	if a, b := count(first), count(second); a != 1 || b != 1 {
		t.Fatalf("two runs' counters: %d and %d, want 1 each (runs must not share state)", a, b)
	}
	ns := first.Shared.Namespace()
	first.Close()
	probe, err := shared.Open(ctx, rd.URL(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	probe, _ = probe.WithNamespace(ns)
	if n, err := shared.NewCounter(probe, "runs").Load(ctx); err != nil || n != 0 {
		t.Fatalf("after Close the run's namespace %s holds %d, %v; want it dropped", ns, n, err)
	}
	kept := "shared: \"" + rd.URL(nil) + "?namespace=mine\"\n"
	k := openYAML(t, kept)
	count(k)
	k.Close()
	if n := count(openYAML(t, kept)); n != 2 {
		t.Fatalf("a named namespace: %d, want 2 (kept across runs)", n)
	}
}

// Two runs of one program against one Redis, with functions on every
// backend counting into shared state: neither sees the other's counts (the
// duplicate finder's second run reported every file as a duplicate), and a
// run's namespace is gone after it ends.
func TestRunsDoNotShareStateOnEveryBackend(t *testing.T) {
	noEnv(t)
	rd := testenv.StartRedis(t, testenv.RedisOptions{})
	ctx := context.Background()
	probe, err := shared.Open(ctx, rd.URL(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	for _, c := range computes(t, rd) {
		t.Run(c.name, func(t *testing.T) {
			var namespaces []string
			for run := range 2 {
				env := openYAML(t, c.yaml)
				if _, err := note.Map(ctx, env.Pool, []string{"a", "b", "c"}); err != nil {
					t.Fatal(err)
				}
				n, err := shared.NewCounter(env.Shared, "notes").Load(ctx)
				if err != nil || n != 3 {
					t.Fatalf("run %d: the functions counted %d, %v; want 3 (this run's calls only)", run+1, n, err)
				}
				namespaces = append(namespaces, env.Shared.Namespace())
				env.Close()
			}
			for _, ns := range namespaces {
				p, _ := probe.WithNamespace(ns)
				if n, err := shared.NewCounter(p, "notes").Load(ctx); err != nil || n != 0 {
					t.Errorf("after Close, namespace %s holds %d, %v; want it dropped", ns, n, err)
				}
			}
		})
	}
}
