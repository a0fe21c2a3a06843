package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/remd/remdtest"
)

// The main job's default demo, run once on the embedded default and once
// through the AWS Lambda Runtime Interface Emulator chosen by a burst.yaml
// alone, writes the same bytes.
func TestDemoThroughLambdaEmulatorMatchesLocal(t *testing.T) {
	for _, kv := range testenv.LambdaEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	l := testenv.StartLambda(t, testenv.LambdaOptions{Timeout: 300})
	dir := t.TempDir()
	conf := filepath.Join(dir, "burst.yaml")
	// The emulator's classic mode serves one call at a time.
	yaml := "compute: {backend: aws, function: function, concurrency: 1}\naws: {region: us-east-1, endpoint: \"" + l.Endpoint + "\"}\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	local, lambda := filepath.Join(dir, "local"), filepath.Join(dir, "lambda")
	ctx := context.Background()
	if err := run(ctx, []string{"-quiet", "-out", local}, io.Discard, io.Discard); err != nil {
		t.Fatalf("local: %v", err)
	}
	if err := run(ctx, []string{"-quiet", "-config", conf, "-out", lambda}, io.Discard, io.Discard); err != nil {
		t.Fatalf("lambda: %v", err)
	}
	want, got := remdtest.Outputs(t, local), remdtest.Outputs(t, lambda)
	for f := range want {
		if !bytes.Equal(got[f], want[f]) {
			t.Errorf("%s differs between local:// and the Lambda emulator", f)
		}
	}
	summary, _ := os.ReadFile(filepath.Join(lambda, "summary.json"))
	if !strings.Contains(string(summary), `"aws://`) {
		t.Errorf("the second run did not go through aws:// (summary: %.300s)", summary)
	}
}
