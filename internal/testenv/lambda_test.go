package testenv

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStartLambdaListensOnLoopbackOnly(t *testing.T) {
	// A bootstrap that exits at once: the emulator must still come up and
	// answer an invoke with an error rather than hang.
	l := StartLambda(t, LambdaOptions{Bootstrap: "/bin/true", Timeout: 5})
	if !strings.HasPrefix(l.Endpoint, "http://127.0.0.1:") || !strings.HasPrefix(l.RuntimeAPI, "127.0.0.1:") {
		t.Fatalf("Endpoint %q, RuntimeAPI %q: want both on 127.0.0.1", l.Endpoint, l.RuntimeAPI)
	}
	if got, want := l.URL("&concurrency=1"), "aws://function?region=us-east-1&endpoint="+l.Endpoint+"&concurrency=1"; got != want {
		t.Fatalf("URL = %q, want %q", got, want)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Post(l.Endpoint+"/2015-03-31/functions/function/invocations", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("invoke of a bootstrap that exits: status %d, want an error status", resp.StatusCode)
	}
}

func TestLambdaEnvKeepsEverythingLocal(t *testing.T) {
	want := map[string]bool{"AWS_EC2_METADATA_DISABLED=true": false, "AWS_ACCESS_KEY_ID=burst-test-dummy": false}
	for _, kv := range LambdaEnv() {
		if _, ok := want[kv]; ok {
			want[kv] = true
		}
	}
	for kv, seen := range want {
		if !seen {
			t.Errorf("LambdaEnv lacks %s", kv)
		}
	}
}
