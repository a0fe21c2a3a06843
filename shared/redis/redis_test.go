package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/shared"
	_ "github.com/burst-dev/burst/shared/redis"
	"github.com/burst-dev/burst/shared/sharedtest"
)

// Child processes of TestMultiProcessCompareAndSwap run this binary again
// with these variables set.
const (
	envChildURL = "BURST_SHARED_TEST_CHILD_URL"
	envChildN   = "BURST_SHARED_TEST_CHILD_N"
)

// quiet drops go-redis's own log lines ("failed to dial"): the tests
// provoke outages on purpose and check the errors they return instead.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	goredis.SetLogger(quiet{})
	if u := os.Getenv(envChildURL); u != "" {
		os.Exit(casChild(u))
	}
	os.Exit(m.Run())
}

func casChild(u string) int {
	n, _ := strconv.Atoi(os.Getenv(envChildN))
	ctx := context.Background()
	c, err := shared.Open(ctx, u)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	m := shared.NewMap[string, int](c, "hammer")
	for range n {
		if err := sharedtest.CASIncrement(ctx, m, "count"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

var nsSeq atomic.Int64

// openFunc returns a harness that opens a Client on r in a fresh namespace.
func openFunc(r *testenv.Redis) sharedtest.Open {
	return func(t *testing.T) *shared.Client {
		ns := fmt.Sprintf("t%d", nsSeq.Add(1))
		c, err := shared.Open(context.Background(), r.URL(url.Values{"namespace": {ns}}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			c.Drop(context.Background(), ns)
			c.Close()
		})
		return c
	}
}

func TestConformance(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{})
	sharedtest.Run(t, openFunc(r))
}

func TestConformanceWithPassword(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{Password: "pa:ss@w/rd"})
	c := openFunc(r)(t)
	ctx := context.Background()
	m := shared.NewMap[string, int](c, "m")
	if err := m.Store(ctx, "k", 1); err != nil {
		t.Fatal(err)
	}
}

func TestMultiProcessCompareAndSwap(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{})
	ns := "multiproc"
	u := r.URL(url.Values{"namespace": {ns}})
	const procs, each = 4, 150
	var g sync.WaitGroup
	errs := make([]error, procs)
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		// A child must not outlive a test binary killed by a timeout.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		cmd.Env = append(os.Environ(), envChildURL+"="+u, envChildN+"="+strconv.Itoa(each))
		g.Go(func() {
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("child %d: %v\n%s", i, err, out)
			}
		})
	}
	g.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	c, err := shared.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, _, err := shared.NewMap[string, int](c, "hammer").Load(context.Background(), "count")
	if err != nil || got != procs*each {
		t.Fatalf("after %d processes × %d CAS increments the count is %d (err %v); want %d", procs, each, got, err, procs*each)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	r := testenv.StartRedis(t, testenv.RedisOptions{Password: "right"})
	free := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	tests := []struct {
		name, url string
		is        error
		mention   []string
	}{
		{"wrong password", "redis://:wrong@" + r.Addr + "/0", shared.ErrAuth, []string{r.Addr, "password"}},
		{"no password", "redis://" + r.Addr + "/0", shared.ErrAuth, []string{r.Addr, "password"}},
		{"nothing listening", "redis://" + free + "/0", shared.ErrUnavailable, []string{free}},
		{"bad db", "redis://:right@" + r.Addr + "/x", shared.ErrBadInput, []string{"redis://"}},
		{"db out of range", "redis://:right@" + r.Addr + "/99", shared.ErrBadInput, []string{"DB index"}},
		{"unknown option", "redis://:right@" + r.Addr + "/0?colour=red", shared.ErrBadInput, []string{"colour"}},
		{"no host", "redis:///0", shared.ErrBadInput, []string{"no host"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := shared.Open(ctx, tc.url)
			if err == nil {
				c.Close()
				t.Fatalf("Open(%q) succeeded; want %v", tc.url, tc.is)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("Open(%q) = %v; want it to wrap %v", tc.url, err, tc.is)
			}
			for _, s := range tc.mention {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Open(%q) = %v; want it to mention %q", tc.url, err, s)
				}
			}
			if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), ":right@") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestQueueSurvivesServerCrash kills redis-server with SIGKILL in the middle
// of queue traffic and restarts it from its append-only file: calls during
// the outage fail with ErrUnavailable naming the address, the same Client
// works after the restart, every item whose Put succeeded is acknowledged
// exactly once, and no item is held under two live leases at once.
func TestQueueSurvivesServerCrash(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{Persist: true})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := shared.Open(ctx, r.URL(url.Values{"namespace": {"crash"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const lease = 2 * time.Second
	q := shared.NewQueue[string](c, "jobs", shared.WithLease(lease))

	var (
		mu        sync.Mutex
		confirmed = map[string]bool{} // Put returned nil
		maybe     = map[string]bool{} // Put failed: may or may not be queued
		acked     = map[string]int{}  // successful Acks
		ackUnsure = map[string]bool{} // Ack failed with ErrUnavailable
		holder    = map[string]time.Time{}
		problems  []string
		outageErr []error
	)
	problem := func(f string, a ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(f, a...))
		mu.Unlock()
	}
	checkOutageErr := func(op string, err error) {
		if !errors.Is(err, shared.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
			problem("%s during the outage: %v; want ErrUnavailable", op, err)
		} else if errors.Is(err, shared.ErrUnavailable) && !strings.Contains(err.Error(), r.Addr) {
			problem("%s: error does not name %s: %v", op, r.Addr, err)
		}
	}

	const producers, perProducer = 2, 250
	var prodWG, consWG sync.WaitGroup
	for p := range producers {
		prodWG.Go(func() {
			for i := range perProducer {
				v := fmt.Sprintf("p%d-%d", p, i)
				err := q.Put(ctx, v)
				mu.Lock()
				if err == nil {
					confirmed[v] = true
				} else {
					maybe[v] = true
					outageErr = append(outageErr, err)
				}
				mu.Unlock()
				if err != nil {
					checkOutageErr("Put", err)
					time.Sleep(20 * time.Millisecond)
				} else {
					time.Sleep(2 * time.Millisecond)
				}
			}
		})
	}
	consCtx, stopConsumers := context.WithCancel(ctx)
	for range 3 {
		consWG.Go(func() {
			for consCtx.Err() == nil {
				tctx, tcancel := context.WithTimeout(consCtx, 300*time.Millisecond)
				it, err := q.Take(tctx)
				tcancel()
				if err != nil {
					if consCtx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
						checkOutageErr("Take", err)
						time.Sleep(20 * time.Millisecond)
					}
					continue
				}
				now := time.Now()
				mu.Lock()
				if since, held := holder[it.Value]; held && now.Sub(since) < lease-100*time.Millisecond {
					problems = append(problems, fmt.Sprintf("%s delivered to a second consumer %v into the first one's lease", it.Value, now.Sub(since)))
				}
				holder[it.Value] = now
				mu.Unlock()
				time.Sleep(time.Millisecond) // "work"
				err = it.Ack(consCtx)
				mu.Lock()
				delete(holder, it.Value)
				switch {
				case err == nil:
					acked[it.Value]++
				case errors.Is(err, shared.ErrUnavailable):
					ackUnsure[it.Value] = true
				case errors.Is(err, shared.ErrLeaseExpired):
				default:
					problems = append(problems, fmt.Sprintf("Ack: %v", err))
				}
				mu.Unlock()
				if err != nil && errors.Is(err, shared.ErrUnavailable) {
					checkOutageErr("Ack", err)
				}
			}
		})
	}

	// Crash the server once traffic is flowing.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 100 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.Kill()
	for op, f := range map[string]func() error{
		"Put":       func() error { return q.Put(ctx, "during-outage") },
		"Len":       func() error { _, _, err := q.Len(ctx); return err },
		"Map.Store": func() error { return shared.NewMap[string, int](c, "m").Store(ctx, "k", 1) },
	} {
		err := f()
		if err == nil {
			t.Errorf("%s during the outage succeeded", op)
			continue
		}
		if !errors.Is(err, shared.ErrUnavailable) || !strings.Contains(err.Error(), r.Addr) {
			t.Errorf("%s during the outage: %v; want ErrUnavailable naming %s", op, err, r.Addr)
		}
	}
	time.Sleep(300 * time.Millisecond)
	r.Restart()
	prodWG.Wait()

	// Drain: everything confirmed must be acknowledged (items whose lease
	// was cut by the crash come back after it).
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		missing := 0
		for v := range confirmed {
			if acked[v] == 0 && !ackUnsure[v] {
				missing++
			}
		}
		mu.Unlock()
		w, tk, err := q.Len(ctx)
		if missing == 0 && err == nil && w == 0 && tk == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart %d confirmed items were never acknowledged (queue: %d waiting, %d taken, err %v)", missing, w, tk, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopConsumers()
	consWG.Wait()

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	for v, n := range acked {
		if n > 1 {
			t.Errorf("%s acknowledged %d times; want once", v, n)
		}
		if !confirmed[v] && !maybe[v] {
			t.Errorf("%s acknowledged but never put", v)
		}
	}
	afterRestart := 0
	for v := range confirmed {
		if strings.HasSuffix(v, fmt.Sprintf("-%d", perProducer-1)) {
			afterRestart++
		}
	}
	if afterRestart == 0 {
		t.Errorf("no Put succeeded at the end of the run: the Client did not recover after the restart")
	}
	t.Logf("%d items confirmed, %d puts failed during the outage, %d acks uncertain", len(confirmed), len(maybe), len(ackUnsure))
}

// TestEveryOperationFailsCleanlyDuringOutage checks one call of each kind
// against a dead server, then that the same objects work after a restart.
func TestEveryOperationFailsCleanlyDuringOutage(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{Persist: true})
	ctx := context.Background()
	c, err := shared.Open(ctx, r.URL(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := shared.NewMap[string, int](c, "m")
	q := shared.NewQueue[int](c, "q")
	mu := shared.NewMutex(c, "mu")
	n := shared.NewCounter(c, "n")
	wg := shared.NewWaitGroup(c, "wg")
	b := shared.NewBarrier(c, "b", 1)
	if err := m.Store(ctx, "k", 1); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"Map.Load":      func() error { _, _, err := m.Load(ctx, "k"); return err },
		"Map.CAS":       func() error { _, err := m.CompareAndSwap(ctx, "k", 1, 1); return err },
		"Map.Range":     func() error { return m.Range(ctx, func(string, int) bool { return true }) },
		"Map.StoreMany": func() error { return m.StoreMany(ctx, map[string]int{"a": 1}) },
		"Queue.Put":     func() error { return q.Put(ctx, 1) },
		"Queue.Take": func() error {
			if err := q.Put(ctx, 2); err != nil {
				return err
			}
			tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			it, err := q.Take(tctx)
			if err == nil {
				err = it.Ack(ctx)
			}
			return err
		},
		"Mutex.Lock": func() error {
			err := mu.Lock(ctx)
			if err == nil {
				err = mu.Unlock(ctx)
			}
			return err
		},
		"Counter.Add":   func() error { _, err := n.Add(ctx, 1); return err },
		"WaitGroup.Add": func() error { return wg.Add(ctx, 0) },
		"Barrier.Wait":  func() error { return b.Wait(ctx) },
		"Drop":          func() error { return c.Drop(ctx, "other") },
	}
	r.Kill()
	for name, op := range ops {
		err := op()
		if !errors.Is(err, shared.ErrUnavailable) || !strings.Contains(err.Error(), r.Addr) {
			t.Errorf("%s with the server down: %v; want ErrUnavailable naming %s", name, err, r.Addr)
		}
	}
	r.Restart()
	for name, op := range ops {
		if err := op(); err != nil {
			t.Errorf("%s after the restart, same Client: %v", name, err)
		}
	}
	if v, _, err := m.Load(ctx, "k"); v != 1 || err != nil {
		t.Errorf("value stored before the crash: %v, %v; want 1 (append-only file)", v, err)
	}
}

func TestRedisAsExposesTheNativeClient(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{})
	c := openFunc(r)(t)
	if !asRedis(c) {
		t.Error("As(**redis.Client) = false, want true")
	}
	if c.Addr() != r.Addr {
		t.Errorf("Addr() = %q, want %q", c.Addr(), r.Addr)
	}
}

func TestTLS(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{TLS: true, Password: "pw"})
	ctx := context.Background()
	u := r.URL(url.Values{"namespace": {"tls"}})
	if !strings.HasPrefix(u, "rediss://") {
		t.Fatalf("URL = %q, want rediss://", u)
	}
	// The server's certificate is self-signed: not trusted by default.
	if c, err := shared.Open(ctx, u); err == nil {
		c.Close()
		t.Fatal("Open trusted a self-signed certificate")
	} else if !strings.Contains(err.Error(), "certificate") || !strings.Contains(err.Error(), r.Addr) {
		t.Errorf("Open with an untrusted certificate: %v; want an error about the certificate naming %s", err, r.Addr)
	}
	c, err := shared.Open(ctx, u+"&skip_verify=true")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := shared.NewMap[string, string](c, "m")
	if err := m.Store(ctx, "k", "over TLS"); err != nil {
		t.Fatal(err)
	}
	if v, _, err := m.Load(ctx, "k"); v != "over TLS" || err != nil {
		t.Errorf("Load over TLS = %q, %v", v, err)
	}
}
