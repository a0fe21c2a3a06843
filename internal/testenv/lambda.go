package testenv

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// LambdaOptions configures StartLambda.
type LambdaOptions struct {
	// Bootstrap is the function's executable (default: the running test
	// binary, whose TestMain must call pool.Main first).
	Bootstrap string
	// Env is added to the emulator's environment, which it passes on to
	// the function (e.g. BURST_BUILD_ID=…).
	Env []string
	// Timeout is the function timeout in seconds (AWS_LAMBDA_FUNCTION_TIMEOUT;
	// default 300, the emulator's).
	Timeout int
	// MemoryMB is reported to the function (AWS_LAMBDA_FUNCTION_MEMORY_SIZE).
	MemoryMB int
	// MaxConcurrency > 0 starts the emulator in its managed-instances mode
	// with that many runtime workers (AWS_LAMBDA_MAX_CONCURRENCY). That mode
	// only runs /var/task/bootstrap, so the bootstrap is copied there for
	// the test and removed after; the test skips where that is impossible
	// (not root, or the path is taken).
	MaxConcurrency int
}

// Lambda is an AWS Lambda Runtime Interface Emulator started for a test.
type Lambda struct {
	*Process
	// Endpoint is the emulator's invoke endpoint, http://127.0.0.1:PORT, for
	// the SDK's BaseEndpoint or AWS_ENDPOINT_URL_LAMBDA.
	Endpoint string
	// RuntimeAPI is the Runtime API address the function polls.
	RuntimeAPI string
}

// Function is the only function name the emulator serves.
const LambdaFunction = "function"

// URL is the pool URL of the emulated function, with extra query parameters
// (e.g. "&concurrency=2") appended verbatim.
func (l *Lambda) URL(extra string) string {
	return "aws://" + LambdaFunction + "?region=us-east-1&endpoint=" + l.Endpoint + extra
}

// LambdaEnv sets what the SDK needs so that nothing leaves the machine:
// static dummy credentials, a region, and no EC2 metadata lookups. Call it
// at the start of a test (it uses t.Setenv) or TestMain-wide with os.Setenv.
func LambdaEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=burst-test-dummy",
		"AWS_SECRET_ACCESS_KEY=burst-test-dummy",
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// varTask serialises tests that need /var/task/bootstrap.
var varTask sync.Mutex

// StartLambda starts aws-lambda-rie on two free loopback ports (its invoke
// endpoint and the Runtime API: both are always given, so it never binds
// 0.0.0.0) with the bootstrap as the function. It skips the test when the
// emulator is not installed (failing under CI). The emulator and the
// function are killed when the test ends.
func StartLambda(tb testing.TB, o LambdaOptions) *Lambda {
	tb.Helper()
	bin := NeedTool(tb, "aws-lambda-rie")
	if o.Bootstrap == "" {
		exe, err := os.Executable()
		if err != nil {
			tb.Fatalf("testenv: own executable: %v", err)
		}
		o.Bootstrap = exe
	}
	apiPort, riePort := FreePort(tb), FreePort(tb)
	for apiPort == riePort {
		riePort = FreePort(tb)
	}
	rieAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(riePort))
	apiAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(apiPort))
	env := append(LambdaEnv(), o.Env...)
	env = append(env, "AWS_LAMBDA_FUNCTION_NAME="+LambdaFunction)
	if o.Timeout > 0 {
		env = append(env, "AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(o.Timeout))
	}
	if o.MemoryMB > 0 {
		env = append(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(o.MemoryMB))
	}
	args := []string{"--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", apiAddr, "--log-level", "error"}
	if o.MaxConcurrency > 0 {
		placeBootstrap(tb, o.Bootstrap)
		env = append(env, "AWS_LAMBDA_MAX_CONCURRENCY="+strconv.Itoa(o.MaxConcurrency))
	} else {
		args = append(args, o.Bootstrap)
	}
	p := Start(tb, "aws-lambda-rie", rieAddr, env, bin, args...)
	return &Lambda{Process: p, Endpoint: "http://" + rieAddr, RuntimeAPI: apiAddr}
}

// placeBootstrap copies the bootstrap to /var/task/bootstrap for the test's
// duration, skipping the test when that cannot be done safely.
func placeBootstrap(tb testing.TB, src string) {
	tb.Helper()
	const dst = "/var/task/bootstrap"
	if os.Geteuid() != 0 {
		tb.Skipf("skipping: the emulator's concurrent mode runs only %s, which needs root to place", dst)
	}
	varTask.Lock()
	tb.Cleanup(varTask.Unlock)
	// A test binary that died mid-test leaves its bootstrap and owner file
	// behind; a live owner means another test process is using it.
	const owner = "/var/task/.burst-test-owner"
	if b, err := os.ReadFile(owner); err == nil {
		if pid, err := strconv.Atoi(string(b)); err == nil && pid > 0 && !alive(pid) {
			os.Remove(dst)
			os.Remove(owner)
		}
	}
	if _, err := os.Stat(dst); err == nil {
		tb.Skipf("skipping: %s already exists and is not ours to replace", dst)
	}
	_, dirErr := os.Stat("/var/task")
	if err := os.MkdirAll("/var/task", 0o755); err != nil {
		tb.Skipf("skipping: cannot create /var/task: %v", err)
	}
	if err := copyExecutable(src, dst); err != nil {
		os.Remove(dst)
		tb.Skipf("skipping: cannot place %s: %v", dst, err)
	}
	os.WriteFile(owner, []byte(strconv.Itoa(os.Getpid())), 0o644)
	tb.Cleanup(func() {
		os.Remove(dst)
		os.Remove(owner)
		if dirErr != nil { // we made the directory: remove it too
			os.Remove(filepath.Dir(dst))
		}
	})
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst, err)
	}
	return nil
}
