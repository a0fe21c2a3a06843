package testenv

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a Lambda runtime that fails every invocation
// (TESTENV_FAILING_RUNTIME=1), through the Runtime API as a real runtime
// reports errors.
func TestMain(m *testing.M) {
	if os.Getenv("TESTENV_FAILING_RUNTIME") == "1" {
		failingRuntime(os.Getenv("AWS_LAMBDA_RUNTIME_API"))
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func failingRuntime(api string) {
	base := "http://" + api + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			fmt.Fprintln(os.Stderr, "failing runtime:", err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		resp, err = http.Post(base+id+"/error", "application/json",
			strings.NewReader(`{"errorMessage":"this test function fails every call","errorType":"TestError"}`))
		if err != nil {
			fmt.Fprintln(os.Stderr, "failing runtime:", err)
			return
		}
		resp.Body.Close()
	}
}

func TestStartLambdaListensOnLoopbackOnly(t *testing.T) {
	// A function that fails: the emulator must answer an invoke with its
	// error rather than hang. The function reports the error through the
	// Runtime API and stays up, as real runtimes do: a bootstrap that exits
	// at once (/bin/true, as this test used) races the emulator, which
	// panics "Unable to find an exitedChannel for 'runtime-1'" when the exit
	// is noticed before it has recorded the exec (rapid/handlers.go), so
	// the test failed on a loaded machine.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l := StartLambda(t, LambdaOptions{Bootstrap: exe, Env: []string{"TESTENV_FAILING_RUNTIME=1"}, Timeout: 5})
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
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK && !strings.Contains(string(body), "this test function fails every call") {
		t.Fatalf("invoke of a failing function: status %d, body %q, want its error", resp.StatusCode, body)
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
