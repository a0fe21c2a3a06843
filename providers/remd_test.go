package providers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool/azure"
	"github.com/burst-dev/burst/pool/gcp/gcpworker"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/openwhisk/owtest"
	"github.com/burst-dev/burst/pool/tcp"
	"github.com/burst-dev/burst/providers"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model"
)

// TestRemdDemoIdenticalOnEveryBackend runs the examples/remd demo system
// (LJ13, 8 replicas on the default ladder, seed 1; fewer rounds to keep the
// race-enabled run short) on every backend, each chosen by rewriting
// burst.yaml alone and opened by providers.Open, and requires outputs
// byte-identical to the in-process run's. The clouds are played by their
// emulators and stand-ins: the Lambda Runtime Interface Emulator for aws;
// for gcp, azure, ibm and knative this test binary serving HTTP as the
// platform starts its worker (Functions Framework, custom handler, Code
// Engine, Knative); for openwhisk a local controller in front of action
// containers (pool/openwhisk/owtest); a local Slurm cluster; tcp workers started by hand.
func TestRemdDemoIdenticalOnEveryBackend(t *testing.T) {
	noEnv(t)
	temps, err := remd.Temperatures(remd.Geometric, 0.1, 0.45, 8)
	if err != nil {
		t.Fatal(err)
	}
	demo := remd.Config{
		System: "lj13", Engine: engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":13,"container":2.25}`)},
		Temperatures: temps, Rounds: 12, Steps: 500, Seed: 1, Backend: "demo",
	}
	run := func(t *testing.T, yaml string) (map[string][]byte, string) {
		t.Helper()
		cfg, err := providers.Parse("burst.yaml", []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		purl, err := cfg.PoolURL()
		if err != nil {
			t.Fatal(err)
		}
		env, err := providers.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer env.Close()
		c := demo
		c.Out = t.TempDir()
		if _, err := remd.Run(context.Background(), env.Pool, c); err != nil {
			t.Fatalf("remd on %s: %v", yaml, err)
		}
		return outputs(t, c.Out), purl
	}
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	want, _ := run(t, "compute: {backend: local}\n")
	if len(want) < 4 {
		t.Fatalf("the local run wrote %d files", len(want))
	}
	for _, tc := range []struct {
		backend string
		yaml    func(t *testing.T) string // starts the backend's stand-in; returns burst.yaml
	}{
		{"local", func(*testing.T) string { return "compute: {backend: local, concurrency: 3}\n" }},
		{"process", func(*testing.T) string { return "compute: {backend: process, workers: 2}\n" }},
		{"aws", func(t *testing.T) string {
			for _, kv := range testenv.LambdaEnv() {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			l := testenv.StartLambda(t, testenv.LambdaOptions{Timeout: 120})
			// The classic emulator runs one call at a time.
			return "compute: {backend: aws, function: function, concurrency: 1}\naws: {region: us-east-1, endpoint: '" + l.Endpoint + "'}\n"
		}},
		{"gcp", func(t *testing.T) string {
			w := httpfntest.StartWorker(t, "gcp-function", func(port int) []string {
				return []string{"FUNCTION_TARGET=" + gcpworker.EntryPoint, "K_SERVICE=remd", "K_REVISION=remd-00001-abc", fmt.Sprintf("PORT=%d", port)}
			})
			t.Setenv("REMD_TEST_ID_TOKEN", "eyJ.test-id-token.sig")
			return "compute: {backend: gcp, function: remd, concurrency: 2}\ngcp: {endpoint: 'http://" + w.Addr + "/', token_env: REMD_TEST_ID_TOKEN}\n"
		}},
		{"azure", func(t *testing.T) string {
			w := httpfntest.StartWorker(t, "azure-custom-handler", func(port int) []string {
				return []string{fmt.Sprintf("%s=%d", azure.EnvPort, port), "WEBSITE_INSTANCE_ID=instance-0"}
			})
			return "compute: {backend: azure, function: remd, concurrency: 2}\nazure: {endpoint: 'http://" + w.Addr + "'}\n"
		}},
		{"ibm", func(t *testing.T) string {
			w := httpfntest.StartWorker(t, "code-engine-app", func(port int) []string {
				return []string{"CE_APP=remd", "CE_REVISION=remd-00001", "K_SERVICE=remd", fmt.Sprintf("PORT=%d", port)}
			})
			// No IAM in front of the stand-in: no token.
			return "compute: {backend: ibm, function: remd, concurrency: 2}\nibm: {endpoint: 'http://" + w.Addr + "', api_key_env: none}\n"
		}},
		{"openwhisk", func(t *testing.T) string {
			h := owtest.Start(t, 2, time.Minute)
			t.Setenv("REMD_TEST_OW_AUTH", h.Auth())
			return "compute: {backend: openwhisk, function: burst, concurrency: 2}\nopenwhisk: {endpoint: '" + h.URL + "', namespace: guest, auth_env: REMD_TEST_OW_AUTH}\n"
		}},
		{"knative", func(t *testing.T) string {
			w := httpfntest.StartWorker(t, "knative-worker", func(port int) []string {
				return []string{"K_SERVICE=remd", "K_REVISION=remd-00001", fmt.Sprintf("PORT=%d", port)}
			})
			return "compute: {backend: knative, function: remd, concurrency: 2}\nknative: {endpoint: 'http://" + w.Addr + "'}\n"
		}},
		{"slurm", func(t *testing.T) string {
			s := testenv.StartSlurm(t, testenv.SlurmOptions{})
			t.Setenv("SLURM_CONF", s.Conf)
			return "compute: {backend: slurm, workers: 2}\nslurm: {listen: '127.0.0.1:0', log_dir: '" + t.TempDir() + "'}\n"
		}},
		{"tcp", func(t *testing.T) string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			// Workers started before the driver keep dialling until it listens.
			t.Setenv(tcp.EnvSecret, httpfntest.Secret)
			for i := range 2 {
				startTCPWorker(t, i, addr)
			}
			return "compute: {backend: tcp, workers: 2}\ntcp: {listen: '" + addr + "'}\n"
		}},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			got, purl := run(t, tc.yaml(t))
			if !strings.HasPrefix(purl, tc.backend+":") {
				t.Fatalf("burst.yaml chose %s, want a %s:// pool", purl, tc.backend)
			}
			for name, w := range want {
				if g := got[name]; !bytes.Equal(g, w) {
					t.Errorf("%s differs between local and %s (%d vs %d bytes)", name, tc.backend, len(g), len(w))
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s wrote %d files, local %d", tc.backend, len(got), len(want))
			}
		})
	}
}

// startTCPWorker runs this test binary as a tcp:// worker dialling addr.
func startTCPWorker(t *testing.T, i int, addr string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), tcp.EnvAddr+"="+addr, fmt.Sprintf("%s=remd-%d", tcp.EnvName, i))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("tcp worker %d:\n%s", i, out.String())
		}
	})
}

// outputs reads remd's deterministic outputs: every CSV but timing.csv, and
// summary.json without its timing fields.
func outputs(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	names, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	for _, n := range names {
		if filepath.Base(n) == "timing.csv" {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = b
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range remd.TimingFields {
		delete(m, f)
	}
	files["summary.json"], _ = json.Marshal(m)
	return files
}
