// Package providerstest is the table of every backend burst can run on in a
// test on this machine, each chosen by burst.yaml alone: the clouds are
// played by their emulators and stand-ins, started for the test that asks.
// Tests that must give the same answer everywhere (remd's demo, the ports in
// examples/port) range over Backends rather than keep lists of their own.
//
// The stand-ins run the test binary as the worker (Lambda bootstrap, HTTP
// function, OpenWhisk action, tcp worker), so the test binary's TestMain
// must call pool.Main first, and it must link the backends burst.yaml names
// (providers/all, or the packages themselves).
package providerstest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
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
)

// Backend is one row of the table.
type Backend struct {
	// Name names the row (a subtest name); Scheme is the pool URL scheme
	// burst.yaml must choose for it.
	Name, Scheme string
	// Start starts what the backend needs for the rest of t (it may call
	// t.Setenv, so t must not be parallel) and returns the compute part of
	// burst.yaml: the compute section and the backend's own section.
	Start func(t *testing.T) string
	// OnePool is set where the workers Start started serve one pool and
	// end with it (tcp): a second pool needs Start again.
	OnePool bool
}

// Backends is every backend, in-process ones first. Each Start sets
// httpfn.EnvSecret for the HTTP stand-ins; the name of the function is
// "burst" where the platform needs one.
func Backends() []Backend {
	return []Backend{
		{"local", "local", func(*testing.T) string { return "compute: {backend: local, concurrency: 3}\n" }, false},
		// In the test process, but every value through the codec and every
		// error through the wire, as on a remote backend.
		{"local-encoded", "local", func(*testing.T) string { return "compute: {url: 'local://?encode=1'}\n" }, false},
		{"process", "process", func(*testing.T) string { return "compute: {backend: process, workers: 2}\n" }, false},
		{"process-stdio", "process", func(*testing.T) string {
			return "compute: {url: 'process://?workers=2&transport=stdio'}\n"
		}, false},
		{"aws", "aws", func(t *testing.T) string {
			for _, kv := range testenv.LambdaEnv() {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			l := testenv.StartLambda(t, testenv.LambdaOptions{Timeout: 120})
			// The classic emulator runs one call at a time.
			return "compute: {backend: aws, function: function, concurrency: 1}\naws: {region: us-east-1, endpoint: '" + l.Endpoint + "'}\n"
		}, false},
		{"gcp", "gcp", func(t *testing.T) string {
			t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
			w := httpfntest.StartWorker(t, "gcp-function", func(port int) []string {
				return []string{"FUNCTION_TARGET=" + gcpworker.EntryPoint, "K_SERVICE=burst", "K_REVISION=burst-00001-abc", fmt.Sprintf("PORT=%d", port)}
			})
			t.Setenv("BURST_TEST_ID_TOKEN", "eyJ.test-id-token.sig")
			return "compute: {backend: gcp, function: burst, concurrency: 2}\ngcp: {endpoint: 'http://" + w.Addr + "/', token_env: BURST_TEST_ID_TOKEN}\n"
		}, false},
		{"azure", "azure", func(t *testing.T) string {
			t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
			w := httpfntest.StartWorker(t, "azure-custom-handler", func(port int) []string {
				return []string{fmt.Sprintf("%s=%d", azure.EnvPort, port), "WEBSITE_INSTANCE_ID=instance-0"}
			})
			return "compute: {backend: azure, function: burst, concurrency: 2}\nazure: {endpoint: 'http://" + w.Addr + "'}\n"
		}, false},
		{"ibm", "ibm", func(t *testing.T) string {
			t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
			w := httpfntest.StartWorker(t, "code-engine-app", func(port int) []string {
				return []string{"CE_APP=burst", "CE_REVISION=burst-00001", "K_SERVICE=burst", fmt.Sprintf("PORT=%d", port)}
			})
			// No IAM in front of the stand-in: no token.
			return "compute: {backend: ibm, function: burst, concurrency: 2}\nibm: {endpoint: 'http://" + w.Addr + "', api_key_env: none}\n"
		}, false},
		{"openwhisk", "openwhisk", func(t *testing.T) string {
			t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
			h := owtest.Start(t, 2, time.Minute)
			t.Setenv("BURST_TEST_OW_AUTH", h.Auth())
			return "compute: {backend: openwhisk, function: burst, concurrency: 2}\nopenwhisk: {endpoint: '" + h.URL + "', namespace: guest, auth_env: BURST_TEST_OW_AUTH}\n"
		}, false},
		{"knative", "knative", func(t *testing.T) string {
			t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
			w := httpfntest.StartWorker(t, "knative-worker", func(port int) []string {
				return []string{"K_SERVICE=burst", "K_REVISION=burst-00001", fmt.Sprintf("PORT=%d", port)}
			})
			return "compute: {backend: knative, function: burst, concurrency: 2}\nknative: {endpoint: 'http://" + w.Addr + "'}\n"
		}, false},
		{"slurm", "slurm", func(t *testing.T) string {
			s := testenv.StartSlurm(t, testenv.SlurmOptions{})
			t.Setenv("SLURM_CONF", s.Conf)
			return "compute: {backend: slurm, workers: 2}\nslurm: {listen: '127.0.0.1:0', log_dir: '" + t.TempDir() + "'}\n"
		}, false},
		{"tcp", "tcp", func(t *testing.T) string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			// Workers started before the driver keep dialling until it listens.
			t.Setenv(tcp.EnvSecret, httpfntest.Secret)
			for i := range 2 {
				StartTCPWorker(t, i, addr)
			}
			return "compute: {backend: tcp, workers: 2}\ntcp: {listen: '" + addr + "'}\n"
		}, true},
	}
}

// StartTCPWorker runs this test binary as tcp:// worker i dialling addr,
// until t ends; its output is logged if t failed.
func StartTCPWorker(t *testing.T, i int, addr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), tcp.EnvAddr+"="+addr, fmt.Sprintf("%s=worker-%d", tcp.EnvName, i))
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
