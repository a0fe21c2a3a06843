package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool/driver"
)

// TestCheckPassesOnProcessWithRedisAndS3: the process backend (workers are
// copies of this test binary, whose TestMain serves them), storage on the S3
// emulator and shared state on redis-server, all from testenv, pass every
// check on one screen; the password never shows.
func TestCheckPassesOnProcessWithRedisAndS3(t *testing.T) {
	noEnv(t)
	s3 := testenv.StartS3(t)
	rd := testenv.StartRedis(t, testenv.RedisOptions{Password: "Sredis-check-pw"})
	p := writeConfig(t, "compute:\n  backend: process\n  workers: 2\nstorage: "+s3.BucketURL(t, "check")+"\nshared: "+rd.URL(url.Values{})+"\n")
	code, out, errOut := burst(t, "check", "-config", p, "-timeout", "2m")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"ok    config", "ok    function  process:", "round trip", "ok    build id", "as this executable",
		"ok    storage   s3://check", "wrote, read back and removed", "ok    shared    redis://:xxxxx@", "all 5 checks passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "Sredis-check-pw") {
		t.Errorf("password printed:\n%s%s", out, errOut)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n > 24 {
		t.Errorf("report is %d lines, want one screen", n)
	}
}

// TestCheckReportsEachFailureWithAFix: a function of another build, storage
// and shared state that cannot be reached: each is a FAIL line followed by a
// fix, and the exit code is 1.
func TestCheckReportsEachFailureWithAFix(t *testing.T) {
	noEnv(t)
	for k, v := range testenv.S3Env() {
		t.Setenv(k, v)
	}
	p := writeConfig(t, "compute:\n  backend: process\n  workers: 1\n"+
		"storage: s3://nobucket?endpoint=http://127.0.0.1:9&use_path_style=true&region=us-east-1\n"+
		"shared: redis://:Sfail-pw@127.0.0.1:9/0\n")
	code, out, errOut := burst(t, "check", "-config", p, "-timeout", "20s", "-build", "go-another-build")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, out, errOut)
	}
	for _, want := range []string{
		"ok    function", "FAIL  build id", "worker build", "fix: run burst deploy",
		"FAIL  storage", "fix: check that the bucket exists",
		"FAIL  shared", "fix: check shared:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "3 of 5 checks failed") {
		t.Errorf("stderr: %s", errOut)
	}
	if strings.Contains(out+errOut, "Sfail-pw") {
		t.Errorf("password printed:\n%s%s", out, errOut)
	}
}

func TestCheckLocalSkipsTheFunction(t *testing.T) {
	noEnv(t)
	code, out, errOut := burst(t, "check", "-config", writeConfig(t, "compute:\n  backend: local\n"))
	if code != exitOK || !strings.Contains(out, "skip  function") || !strings.Contains(out, "ok    storage   mem://") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestCheckAnHTTPFunction runs this test binary as a Knative worker on
// loopback (K_SERVICE and PORT, as a revision's container gets them) and
// checks it over HTTP: the same build passes, another build and a wrong
// shared secret each fail with a fix.
func TestCheckAnHTTPFunction(t *testing.T) {
	noEnv(t)
	port := testenv.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	testenv.Start(t, "knative-worker", addr,
		[]string{"K_SERVICE=burst", fmt.Sprintf("PORT=%d", port), "BURST_SECRET=Scheck-secret"},
		os.Args[0], "-test.run=^$")
	rd := testenv.StartRedis(t, testenv.RedisOptions{})
	p := writeConfig(t, "compute:\n  backend: knative\n  function: burst\nknative:\n  endpoint: http://"+addr+"\n"+
		"storage: file://"+t.TempDir()+"\nshared: "+rd.URL(nil)+"\n")

	t.Setenv("BURST_SECRET", "Scheck-secret")
	code, out, errOut := burst(t, "check", "-config", p, "-timeout", "1m", "-build", driver.BuildID())
	if !strings.Contains(out, "ok    function  knative://"+addr) || !strings.Contains(out, "ok    build id") {
		t.Errorf("same build: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = burst(t, "check", "-config", p, "-timeout", "1m", "-build", "go-other")
	if code != exitFailed || !strings.Contains(out, "FAIL  build id") || !strings.Contains(out, "fix: run burst deploy") {
		t.Errorf("other build: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("BURST_SECRET", "Swrong-secret")
	code, out, errOut = burst(t, "check", "-config", p, "-timeout", "1m")
	if code != exitFailed || !strings.Contains(out, "FAIL  function") || !strings.Contains(out, "$BURST_SECRET equals the service's") {
		t.Errorf("wrong secret: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("wrong secret:\n%s%s", out, errOut)
	if strings.Contains(out+errOut, "Scheck-secret") || strings.Contains(out+errOut, "Swrong-secret") {
		t.Errorf("secret printed:\n%s%s", out, errOut)
	}
}
