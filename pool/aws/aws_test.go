package aws_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/aws"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/pool/spill"
)

func TestMain(m *testing.M) {
	pool.Main()
	// Nothing may reach AWS: dummy credentials, no metadata service.
	for _, kv := range testenv.LambdaEnv() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	os.Exit(m.Run())
}

var (
	square = pool.Register("aws.square", func(ctx context.Context, x int) (int, error) { return x * x, nil })
	nap    = pool.Register("aws.nap", func(ctx context.Context, d time.Duration) (int, error) {
		time.Sleep(d) // ignores ctx: only Lambda's own timeout stops it
		return 1, nil
	})
	exit = pool.Register("aws.exit", func(ctx context.Context, code int) (int, error) {
		os.Exit(code)
		return 0, nil
	})
)

// retrying is what every emulator test pool needs: the classic emulator has
// one runtime and answers 400 while it is busy, which the pool retries.
func retrying() []pool.Option {
	return []pool.Option{pool.WithRetries(1000), pool.WithBackoff(time.Millisecond, 20*time.Millisecond)}
}

func openURL(t *testing.T, url string, opts ...pool.Option) *pool.Pool {
	t.Helper()
	p, err := pool.Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// spillStore is a file:// payload store both the driver and the emulated
// function (through BURST_SPILL_URL) reach. The emulator's concurrent mode
// runs the function as another user (uid 993), so the directory is open to
// all and the driver's objects and directories are opened to it.
func spillStore(t *testing.T) (driver.PayloadStore, []string) {
	dir, err := os.MkdirTemp("", "burst-aws-spill-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	s, err := spill.Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return readable{s, dir}, []string{spill.EnvURL + "=file://" + dir, spill.EnvThreshold + "=" + strconv.Itoa(spillAt)}
}

const spillAt = 64 << 10

type readable struct {
	*spill.Store
	dir string
}

func (r readable) Put(ctx context.Context, key string, data []byte) error {
	if err := r.Store.Put(ctx, key, data); err != nil {
		return err
	}
	name := filepath.Join(r.dir, filepath.FromSlash(key))
	for d := filepath.Dir(name); len(d) > len(r.dir); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o777); err != nil {
			return err
		}
	}
	return os.Chmod(name, 0o644)
}

// TestConformance runs the backend suite through the real lambda.Invoke path
// against the emulator in its concurrent mode (eight runtimes, twice the
// limit the suite's checks use): a call the suite abandons keeps its runtime,
// and its slot, until the emulator's 5 s timeout, as on Lambda, and must not
// starve the next checks.
func TestConformance(t *testing.T) {
	store, env := spillStore(t)
	l := testenv.StartLambda(t, testenv.LambdaOptions{MaxConcurrency: 8, Timeout: 5, Env: env})
	pooltest.Run(t, pooltest.Harness{
		Open: func(t *testing.T, opts ...pool.Option) *pool.Pool {
			return openURL(t, l.URL("&concurrency=8"), append(retrying(), opts...)...)
		},
		OpenOtherBuild: func(t *testing.T) *pool.Pool {
			other := testenv.StartLambda(t, testenv.LambdaOptions{Env: []string{"BURST_BUILD_ID=some-other-build"}})
			return openURL(t, other.URL("&concurrency=1"), retrying()...)
		},
		Spill:          store,
		SpillThreshold: spillAt,
		Remote:         true,
	})
}

// TestThrottling runs the emulator's concurrent mode with a single runtime
// and calls it two at a time: the emulator answers the second call 400
// Runtime.Unavailable, which must come back as pool.ErrThrottled.
func TestThrottling(t *testing.T) {
	l := testenv.StartLambda(t, testenv.LambdaOptions{MaxConcurrency: 1, Timeout: 5})
	ctx := context.Background()
	t.Run("BusyRuntimeIsThrottledAndRetried", func(t *testing.T) {
		p := openURL(t, l.URL("&concurrency=2"), retrying()...)
		in := make([]time.Duration, 20)
		for i := range in {
			in[i] = 5 * time.Millisecond
		}
		out, err := nap.Map(ctx, p, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != len(in) {
			t.Fatalf("got %d results, want %d", len(out), len(in))
		}
		if st := p.Stats(); st.Retries == 0 || st.Failed != 0 {
			t.Fatalf("Stats = %+v: want retries (the emulator refuses a second call while one runs) and no failure", st)
		}
	})

	t.Run("ThrottledWithoutRetriesIsErrThrottled", func(t *testing.T) {
		p := openURL(t, l.URL("&concurrency=2"), pool.WithRetries(0))
		g, _ := pool.WithContext(ctx, p)
		slow := nap.Go(g, 500*time.Millisecond)
		time.Sleep(100 * time.Millisecond)
		_, err := square.Call(ctx, p, 3)
		if !errors.Is(err, pool.ErrThrottled) {
			t.Fatalf("err = %v, want pool.ErrThrottled", err)
		}
		if _, err := slow.Get(ctx); err != nil {
			t.Fatal(err)
		}
	})

}

// TestClassicEmulator covers what the emulator's classic mode (one runtime,
// one call at a time: concurrency=1) shows best: Lambda's own timeout,
// crashes, size limits, spilled payloads.
func TestClassicEmulator(t *testing.T) {
	store, env := spillStore(t)
	l := testenv.StartLambda(t, testenv.LambdaOptions{Timeout: 120, Env: env})
	ctx := context.Background()
	one := func(extra string) string { return l.URL("&concurrency=1" + extra) }

	t.Run("LambdaTimeoutIsDeadlineExceeded", func(t *testing.T) {
		short := testenv.StartLambda(t, testenv.LambdaOptions{Timeout: 1})
		p := openURL(t, short.URL("&concurrency=1"), retrying()...)
		_, err := nap.Call(ctx, p, time.Minute)
		var fe *aws.FunctionError
		if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &fe) || fe.Function != "function" {
			t.Fatalf("err = %v, want an *aws.FunctionError wrapping context.DeadlineExceeded", err)
		}
		if !strings.Contains(err.Error(), "aws.nap#") {
			t.Fatalf("err = %q, want it to name the call", err)
		}
		if y, err := square.Call(ctx, p, 4); err != nil || y != 16 {
			t.Fatalf("after a timeout: %d, %v; want 16 from a fresh runtime", y, err)
		}
	})

	t.Run("CrashIsWorkerLost", func(t *testing.T) {
		p := openURL(t, one(""), append(retrying(), pool.WithRetries(1))...)
		_, err := exit.Call(ctx, p, 3)
		if !errors.Is(err, pool.ErrWorkerLost) {
			t.Fatalf("err = %v, want pool.ErrWorkerLost", err)
		}
		var ce *pool.CallError
		if !errors.As(err, &ce) || ce.Attempts != 2 {
			t.Fatalf("err = %v, want a CallError after 2 attempts (a crash is retried)", err)
		}
		if y, err := square.Call(ctx, p, 5); err != nil || y != 25 {
			t.Fatalf("after a crash: %d, %v", y, err)
		}
	})

	t.Run("OversizeWithoutSpillIsTooLarge", func(t *testing.T) {
		p := openURL(t, one("&max_payload=65536"), retrying()...)
		_, err := pooltest.Grow.Call(ctx, p, pooltest.GrowIn{Data: bytes.Repeat([]byte{'x'}, 65536), N: 1})
		if !errors.Is(err, pool.ErrTooLarge) {
			t.Fatalf("err = %v, want pool.ErrTooLarge", err)
		}
	})

	t.Run("LargePayloadsSpillBothWays", func(t *testing.T) {
		p := openURL(t, one(""), append(retrying(), pool.WithSpill(store, aws.DefaultSpillThreshold))...)
		data := bytes.Repeat([]byte("0123456789abcdef"), 7<<20/16) // 7 MiB, over Lambda's 6 MB
		out, err := pooltest.Grow.Call(ctx, p, pooltest.GrowIn{Data: data, N: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("got %d bytes back, want the %d sent", len(out), len(data))
		}
	})
}

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"aws://", "no function name"},
		{"aws://f?regoin=x", `unknown parameter "regoin"`},
		{"aws://f?region=us-east-1&concurrency=0", "concurrency"},
		{"aws://f?region=us-east-1&endpoint=ftp://x", "endpoint"},
	} {
		_, err := pool.Open(context.Background(), tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error mentioning %q", tc.url, err, tc.want)
		}
	}
}

func TestEndpointFromEnvironment(t *testing.T) {
	l := testenv.StartLambda(t, testenv.LambdaOptions{})
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", l.Endpoint)
	p := openURL(t, "aws://function?region=us-east-1&concurrency=1", retrying()...)
	if y, err := square.Call(context.Background(), p, 9); err != nil || y != 81 {
		t.Fatalf("Call = %d, %v; want 81 through AWS_ENDPOINT_URL_LAMBDA", y, err)
	}
}

// TestDeployedBuildID is the stale-function check as deployed: the function
// carries the BURST_BUILD_ID its deploy stamped, and a driver that sends
// that id (build=) is served while one that sends another is refused.
func TestDeployedBuildID(t *testing.T) {
	l := testenv.StartLambda(t, testenv.LambdaOptions{Env: []string{"BURST_BUILD_ID=deployed-2"}})
	ctx := context.Background()
	current := openURL(t, l.URL("&concurrency=1&build=deployed-2"), retrying()...)
	if y, err := square.Call(ctx, current, 6); err != nil || y != 36 {
		t.Fatalf("driver of the deployed build: %d, %v; want 36", y, err)
	}
	stale := openURL(t, l.URL("&concurrency=1&build=deployed-1"), retrying()...)
	if _, err := square.Call(ctx, stale, 6); !errors.Is(err, pool.ErrBuildMismatch) || !strings.Contains(err.Error(), "redeploy") {
		t.Fatalf("driver of another build: err = %v, want pool.ErrBuildMismatch advising a redeploy", err)
	}
}
