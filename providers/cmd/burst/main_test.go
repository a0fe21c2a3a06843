package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/redact/redacttest"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// noEnv clears every BURST_* override for the test.
func noEnv(t *testing.T) {
	t.Helper()
	for _, k := range providers.EnvKeys() {
		t.Setenv(providers.EnvName(k), "")
	}
	t.Setenv(providers.EnvConfig, "")
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "burst.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// burst runs the command in process and returns its exit code and output.
func burst(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// TestConfigHidesEverySecret: burst config over every URL of the redaction
// table, as storage and as shared (figure 5 of issue 14).
func TestConfigHidesEverySecret(t *testing.T) {
	noEnv(t)
	for _, c := range redacttest.Cases {
		for _, key := range []string{"storage", "shared"} {
			t.Run(c.Name+"/"+key, func(t *testing.T) {
				p := writeConfig(t, key+": "+strconv.Quote(c.URL)+"\n")
				code, out, errOut := burst(t, "config", "-config", p)
				if code != exitOK && code != exitConfig {
					t.Errorf("exit %d: %s", code, errOut)
				}
				for _, s := range c.Secrets {
					if strings.Contains(out+errOut, s) {
						t.Errorf("secret %q printed:\n%s%s", s, out, errOut)
					}
				}
				if code == exitOK && !strings.Contains(out, key+":") {
					t.Errorf("%s missing from the printout:\n%s", key, out)
				}
			})
		}
	}
}

func TestConfigPrintsWhatIsSet(t *testing.T) {
	noEnv(t)
	p := writeConfig(t, "compute:\n  backend: process\n  workers: 3\n  retries: 0\n  timeout: 90s\n")
	code, out, errOut := burst(t, "config", "-config", p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"backend: process", "workers: 3", "retries: 0", "timeout: 1m30s", "compute: process:?workers=3", "storage: mem://"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "aws:") {
		t.Errorf("unset provider block printed:\n%s", out)
	}
}

func TestExitCodesAndMessages(t *testing.T) {
	noEnv(t)
	bad := writeConfig(t, "compute:\n  memory: 5\n")
	creds := writeConfig(t, "compute:\n  backend: knative\n  function: f\nknative:\n  endpoint: https://me:Sknpw1@svc.example.com\nstorage: s3://b\nshared: redis://127.0.0.1:9\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no verb", nil, exitUsage, "usage: burst"},
		{"help", []string{"-h"}, exitOK, "verbs:"},
		{"unknown verb", []string{"deplo"}, exitUsage, `unknown verb "deplo"`},
		{"verb help", []string{"config", "-h"}, exitOK, "usage: burst config"},
		{"unknown flag", []string{"config", "-confg", "x"}, exitUsage, "-confg"},
		{"extra argument", []string{"config", "x"}, exitUsage, `unexpected argument "x"`},
		{"missing config file", []string{"config", "-config", "/nonexistent/burst.yaml"}, exitFailed, "/nonexistent/burst.yaml"},
		{"bad key", []string{"config", "-config", bad}, exitConfig, "compute.memory"},
		{"dropped credentials", []string{"config", "-config", creds}, exitConfig, "knative.endpoint"},
		{"cost without stats", []string{"cost"}, exitUsage, "want 1 argument"},
		{"cost of a missing file", []string{"cost", "/nonexistent/stats.json"}, exitFailed, "/nonexistent/stats.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := burst(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errOut)
			}
			if strings.Contains(errOut, "Sknpw1") {
				t.Errorf("password printed:\n%s", errOut)
			}
		})
	}
}

func TestCostBillsEveryProviderByItsRules(t *testing.T) {
	noEnv(t)
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls.json")
	os.WriteFile(calls, []byte(`[{"Func":"f","Started":"2026-01-01T00:00:00Z","Ended":"2026-01-01T00:00:00.250Z","Attempts":1},
		{"Func":"f","Started":"2026-01-01T00:00:00Z","Ended":"2026-01-01T00:00:01.001Z","Attempts":2}]`), 0o644)
	code, out, errOut := burst(t, "cost", "-memory", "2048", calls)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, p := range providers.Providers() {
		est, err := providers.NewEstimator(p, 2048, 0)
		if err != nil {
			t.Fatal(err)
		}
		est.AddDuration(250*time.Millisecond, 1)
		est.AddDuration(1001*time.Millisecond, 2)
		e := est.Estimate()
		want := fmt.Sprintf("%s %d %s %d %d %.3f %.3f %.3f %.6f", p, e.MemoryMB, cpuCol(e.CPU), e.Calls, e.Requests,
			e.BilledSeconds, e.GBSeconds, e.VCPUSeconds, e.Dollars)
		found := false
		for _, l := range strings.Split(out, "\n") {
			found = found || strings.Join(strings.Fields(l), " ") == want
		}
		if !found {
			t.Errorf("no row %q in\n%s", want, out)
		}
	}

	totals := filepath.Join(dir, "totals.json")
	os.WriteFile(totals, []byte(`{"Calls":10,"Retries":1,"Busy":5000000000}`), 0o644)
	if code, out, _ := burst(t, "cost", totals); code != exitOK || !strings.Contains(out, "from totals") {
		t.Errorf("totals: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"Calls":1,"Colls":2}`), 0o644)
	if code, _, errOut := burst(t, "cost", bad); code != exitFailed || !strings.Contains(errOut, "Colls") {
		t.Errorf("unknown field: exit %d, %s", code, errOut)
	}
	if code, _, errOut := burst(t, "cost", "-memory", "-1", calls); code != exitUsage || !strings.Contains(errOut, "-memory") {
		t.Errorf("negative memory: exit %d, %s", code, errOut)
	}
}
