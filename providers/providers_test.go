package providers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/aws"
	"github.com/burst-dev/burst/providers"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

var square = pool.Register("providers.square", func(ctx context.Context, x int) (int, error) { return x * x, nil })

func noEnv(t *testing.T) {
	t.Helper()
	for _, k := range providers.EnvKeys() {
		t.Setenv(providers.EnvName(k), "")
	}
	t.Setenv(providers.EnvConfig, "")
}

func TestParseRejectsBadFiles(t *testing.T) {
	noEnv(t)
	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown top-level key", "compute:\n  backend: local\nstorag: mem://\n",
			[]string{"burst.yaml:3:", "storag", "unknown key", "storage"}},
		{"unknown nested key", "aws:\n  region: eu-west-1\n  regoin: x\n",
			[]string{"burst.yaml:3:", "aws.regoin", "accepted keys under aws", "region, credentials"}},
		{"wrong type", "compute:\n  memory: lots\n",
			[]string{"burst.yaml:2:", "compute.memory", "whole number from 128 to 32768", `"lots"`}},
		{"out of range", "compute:\n  memory: 64\n", []string{"burst.yaml:2:", "compute.memory", "from 128"}},
		{"not accepted", "compute:\n  backend: lambda\n",
			[]string{"burst.yaml:2:", "compute.backend", `"lambda" is not accepted`, "local, process, aws"}},
		{"bad duration", "compute:\n  timeout: 30\n", []string{"burst.yaml:2:", "compute.timeout", "Go duration"}},
		{"mapping expected", "aws: eu-west-1\n", []string{"burst.yaml:1:", "aws", "want a mapping"}},
		{"string expected", "storage:\n  url: x\n", []string{"burst.yaml:2:", "storage", "want a string"}},
		{"missing function", "compute:\n  backend: aws\n", []string{"burst.yaml:2:", "compute.function", "required"}},
		{"profile without name", "compute:\n  backend: local\naws:\n  credentials: profile\n",
			[]string{"burst.yaml:4:", "aws.profile", "required"}},
		{"mem storage with cloud", "compute:\n  backend: aws\n  function: f\nstorage: mem://\n",
			[]string{"burst.yaml:4:", "storage", "cannot reach"}},
		{"syntax", "compute:\n  backend: [\n", []string{"burst.yaml:", "not valid YAML"}},
		{"twice", "compute:\n  memory: 256\n  memory: 512\n", []string{"burst.yaml:3:", "compute.memory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := providers.Parse("burst.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tc.want)
			}
			var ce *providers.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %T %v, want *providers.ConfigError", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestParseFullFile(t *testing.T) {
	noEnv(t)
	cfg, err := providers.Parse("burst.yaml", []byte(`
compute:
  backend: aws
  function: burst-remd
  memory: 2048
  timeout: 90s
  concurrency: 200
  retries: 10
storage: s3://my-bucket?region=eu-west-1&prefix=runs/
shared: redis://10.0.0.5:6379/0
aws:
  region: eu-west-1
  credentials: profile
  profile: research
  role: arn:aws:iam::123456789012:role/burst
  architecture: arm64
  pricing:
    per_gb_second: 0.00001
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Compute.Memory != 2048 || cfg.Compute.Timeout.D() != 90*time.Second || *cfg.Compute.Retries != 10 ||
		cfg.Section("aws").(*aws.Section).Profile != "research" || cfg.Pricing("aws").PerGBSecond != 0.00001 {
		t.Fatalf("parsed %+v", cfg)
	}
	got, err := cfg.PoolURL()
	if err != nil {
		t.Fatal(err)
	}
	want := "aws://burst-remd?concurrency=200&limit=200&profile=research&region=eu-west-1"
	if got != want {
		t.Fatalf("PoolURL = %q, want %q", got, want)
	}
}

func TestEnvironmentOverridesOneKey(t *testing.T) {
	noEnv(t)
	t.Setenv("BURST_COMPUTE_BACKEND", "process")
	t.Setenv("BURST_COMPUTE_WORKERS", "3")
	t.Setenv("BURST_AWS_REGION", "us-west-2")
	cfg, err := providers.Parse("burst.yaml", []byte("compute:\n  backend: local\naws:\n  region: eu-west-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	region := cfg.Section("aws").(*aws.Section).Region
	if cfg.Compute.Backend != "process" || cfg.Compute.Workers != 3 || region != "us-west-2" {
		t.Fatalf("got backend %q workers %d region %q, want process 3 us-west-2", cfg.Compute.Backend, cfg.Compute.Workers, region)
	}
	t.Setenv("BURST_COMPUTE_MEMORY", "huge")
	_, err = providers.Parse("burst.yaml", []byte(""))
	if err == nil || !strings.Contains(err.Error(), "BURST_COMPUTE_MEMORY") {
		t.Fatalf("err = %v, want it to name BURST_COMPUTE_MEMORY", err)
	}
}

func TestFindOrder(t *testing.T) {
	noEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	if p, err := providers.Find(""); err != nil || p != "" {
		t.Fatalf("Find with no file = %q, %v; want none", p, err)
	}
	user := filepath.Join(dir, "xdg", "burst", "burst.yaml")
	os.MkdirAll(filepath.Dir(user), 0o755)
	os.WriteFile(user, []byte("compute:\n  backend: local\n"), 0o644)
	if p, _ := providers.Find(""); p != user {
		t.Fatalf("Find = %q, want the user config %q", p, user)
	}
	os.WriteFile("burst.yaml", nil, 0o644)
	if p, _ := providers.Find(""); p != "burst.yaml" {
		t.Fatalf("Find = %q, want ./burst.yaml before the user config", p)
	}
	env := filepath.Join(dir, "env.yaml")
	os.WriteFile(env, nil, 0o644)
	t.Setenv(providers.EnvConfig, env)
	if p, _ := providers.Find(""); p != env {
		t.Fatalf("Find = %q, want $BURST_CONFIG %q", p, env)
	}
	if p, _ := providers.Find(user); p != user {
		t.Fatalf("Find(flag) = %q, want the flag's %q", p, user)
	}
	if _, err := providers.Find(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("Find of a named missing file succeeded")
	}
}

func TestNoConfigRunsLocally(t *testing.T) {
	noEnv(t)
	t.Chdir(t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	env, err := providers.OpenPath(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if y, err := square.Call(context.Background(), env.Pool, 7); err != nil || y != 49 {
		t.Fatalf("Call = %d, %v", y, err)
	}
	if err := env.FS.WriteFile("a.txt", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if b, err := env.FS.ReadFile("a.txt"); err != nil || string(b) != "hi" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	if env.Shared == nil {
		t.Fatal("no shared client")
	}
}

func TestOpenProcessBackend(t *testing.T) {
	noEnv(t)
	cfg, err := providers.Parse("burst.yaml", []byte("compute:\n  backend: process\n  workers: 2\nstorage: file://"+t.TempDir()+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := providers.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	ys, err := square.Map(context.Background(), env.Pool, []int{1, 2, 3})
	if err != nil || len(ys) != 3 || ys[2] != 9 {
		t.Fatalf("Map = %v, %v", ys, err)
	}
}

func TestPoolURLPerProvider(t *testing.T) {
	noEnv(t)
	for _, tc := range []struct{ yaml, want string }{
		{"compute: {backend: gcp, function: fn}\ngcp: {project: p, region: europe-west1}", "gcp://p/europe-west1/fn"},
		{"compute: {backend: azure, function: fn}\nazure: {app: myapp, key_env: K}", "azure://myapp/fn?key_env=K"},
		{"compute: {backend: ibm, function: fn}\nibm: {endpoint: https://a.b.us-south.codeengine.appdomain.cloud}", "ibm://a.b.us-south.codeengine.appdomain.cloud"},
		{"compute: {backend: openwhisk, function: fn}\nopenwhisk: {endpoint: http://127.0.0.1:3233, namespace: guest}", "openwhisk://127.0.0.1:3233/guest/fn?tls=false"},
		{"compute: {backend: knative, function: fn}\nknative: {endpoint: https://svc.example.com}", "knative://svc.example.com"},
		{"compute: {url: \"process://?workers=1\"}", "process://?workers=1"},
		{"compute: {backend: slurm, workers: 64}\nslurm: {cpus_per_task: 2, mem_per_cpu: 2G, partition: compute, time: \"02:00:00\", sbatch: --constraint=skylake, policy: adaptive, max: 128, idle: 90s}",
			"slurm://?cpus_per_task=2&idle=1m30s&max=128&mem_per_cpu=2G&partition=compute&policy=adaptive&sbatch=--constraint%3Dskylake&time=02%3A00%3A00&workers=64"},
	} {
		cfg, err := providers.Parse("burst.yaml", []byte(tc.yaml))
		if err != nil {
			t.Errorf("%s: %v", tc.yaml, err)
			continue
		}
		if got, err := cfg.PoolURL(); err != nil || got != tc.want {
			t.Errorf("%s: PoolURL = %q, %v; want %q", tc.yaml, got, err, tc.want)
		}
	}
}

func TestCostEstimate(t *testing.T) {
	noEnv(t)
	cfg, err := providers.Parse("burst.yaml", []byte("compute: {backend: aws, function: f, memory: 2048}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.Estimator()
	t0 := time.Unix(0, 0)
	for range 1000 {
		// 99.2 ms of work bills as 100 ms; two attempts bill two requests.
		e.Add(pool.CallStats{Attempts: 2, Started: t0, Ended: t0.Add(99*time.Millisecond + 200*time.Microsecond)})
	}
	est := e.Estimate()
	// 1000 × 0.1 s × 2 GB = 200 GB-s; 2000 requests.
	want := 200*0.0000166667 + 2000*0.20/1e6
	if est.Requests != 2000 || est.GBSeconds < 199.999 || est.GBSeconds > 200.001 || est.Dollars < want-1e-6 || est.Dollars > want+1e-6 {
		t.Fatalf("Estimate = %+v, want 2000 requests, 200 GB-s, $%.6f", est, want)
	}
	if !strings.Contains(est.String(), "$0.003733") {
		t.Fatalf("String = %q", est)
	}
}

// Pool totals bill every attempt as a request: retries after failures and
// backup attempts, which pool.Stats counts apart.
func TestCostEstimateFromTotalsBillsBackups(t *testing.T) {
	e, err := providers.NewEstimator("aws", 2048, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.AddStats(pool.Stats{Calls: 100, Retries: 3, Backups: 7, Busy: 10 * time.Second})
	if est := e.Estimate(); est.Calls != 100 || est.Requests != 110 {
		t.Fatalf("Estimate = %+v, want 100 calls and 110 requests (100 calls + 3 retries + 7 backups)", est)
	}
}
