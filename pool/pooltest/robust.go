package pooltest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
)

// StraggleIn is the input of Straggle: the first attempt of Key sleeps
// First, every later one Later; an attempt whose context ends first leaves a
// file named Key.cancelled.N in Dir, which every worker of the backend under
// test must reach.
type StraggleIn struct {
	Dir, Key     string
	X            int
	First, Later time.Duration
}

func straggle(ctx context.Context, in StraggleIn) (int, error) {
	d := in.Later
	f, err := os.OpenFile(filepath.Join(in.Dir, in.Key+".first"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if err == nil {
		f.Close()
		d = in.First
	} else if !errors.Is(err, os.ErrExist) {
		return 0, err
	}
	select {
	case <-time.After(d):
		return in.X, nil
	case <-ctx.Done():
		for i := 0; ; i++ {
			f, err := os.OpenFile(filepath.Join(in.Dir, fmt.Sprintf("%s.cancelled.%d", in.Key, i)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
			if err == nil {
				f.Close()
				break
			}
			if !errors.Is(err, os.ErrExist) {
				break
			}
		}
		return 0, ctx.Err()
	}
}

var (
	// Straggle is idempotent: it may get backups.
	Straggle = pool.Register("pooltest.straggle", straggle, pool.Idempotent())
	// StraggleOnce is the same function, not marked idempotent.
	StraggleOnce = pool.Register("pooltest.straggle-once", straggle)
	// Stubborn sleeps for its input, ignoring its context.
	Stubborn = pool.Register("pooltest.stubborn", func(ctx context.Context, d time.Duration) (int, error) {
		time.Sleep(d)
		return 1, nil
	})
	// Goexit ends its goroutine instead of returning.
	Goexit = pool.Register("pooltest.goexit", func(ctx context.Context, _ int) (int, error) {
		runtime.Goexit()
		return 0, nil
	})
)

// scratch is a directory every worker can write to.
func scratch(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pooltest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil { // emulators may run functions as another user
		t.Fatal(err)
	}
	return dir
}

// cancelled reports how many attempts of key saw their context end.
func cancelled(dir, key string) int {
	m, _ := filepath.Glob(filepath.Join(dir, key+".cancelled.*"))
	return len(m)
}

// waitFor polls cond for up to a minute (a loaded machine is slow).
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func runRobust(t *testing.T, h Harness) {
	t.Run("BackupWins", func(t *testing.T) { testBackupWins(t, h) })
	t.Run("BackupLoses", func(t *testing.T) { testBackupLoses(t, h) })
	t.Run("BackupAtTheLimit", func(t *testing.T) { testBackupAtTheLimit(t, h) })
	t.Run("NoBackupUnlessIdempotent", func(t *testing.T) { testNoBackup(t, h) })
	t.Run("ContextIgnored", func(t *testing.T) { testContextIgnored(t, h) })
	t.Run("TryGoAfterDone", func(t *testing.T) { testTryGoAfterDone(t, h) })
	t.Run("StreamWindow", func(t *testing.T) { testStreamWindow(t, h) })
	if !h.NoGoexit {
		t.Run("Goexit", func(t *testing.T) { testGoexit(t, h) })
	}
}

// straggling is a Map's inputs: fast calls, and at index slow a call whose
// first attempt sleeps first and later ones later.
func straggling(dir, key string, n, slow int, first, later time.Duration) []StraggleIn {
	ins := make([]StraggleIn, n)
	for i := range ins {
		ins[i] = StraggleIn{Dir: dir, Key: fmt.Sprintf("%s-%d", key, i), X: i, First: 10 * time.Millisecond, Later: 10 * time.Millisecond}
	}
	ins[slow].First, ins[slow].Later = first, later
	return ins
}

// mapGroup runs fn over ins in a Group, so that each call's statistics can
// be seen, and checks the outputs.
func mapGroup(t *testing.T, p *pool.Pool, fn *pool.Func[StraggleIn, int], ins []StraggleIn) []*pool.Future[int] {
	t.Helper()
	g, _ := pool.WithContext(context.Background(), p)
	futs := make([]*pool.Future[int], len(ins))
	for i, in := range ins {
		futs[i] = fn.Go(g, in)
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, f := range futs {
		if y, _ := f.Get(context.Background()); y != i {
			t.Fatalf("call %d = %d", i, y)
		}
	}
	return futs
}

func testBackupWins(t *testing.T, h Harness) {
	dir := scratch(t)
	p := h.Open(t, pool.WithLimit(4), pool.WithBackups(2, 100*time.Millisecond))
	before := p.Stats()
	if !h.Remote {
		// In process a backup would share the input's memory with the
		// caller after it returned: none is started.
		mapGroup(t, p, Straggle, straggling(dir, "local", 12, 8, 800*time.Millisecond, time.Hour))
		if st := p.Stats(); st.Backups != before.Backups {
			t.Fatalf("Backups %d → %d in process", before.Backups, st.Backups)
		}
		return
	}
	futs := mapGroup(t, p, Straggle, straggling(dir, "wins", 12, 8, time.Hour, 10*time.Millisecond))
	if st := futs[8].Stats(); !st.Backup || st.Attempts < 2 {
		t.Fatalf("the straggler's stats %+v: want its result from a backup", st)
	}
	if st := p.Stats(); st.Backups == before.Backups || st.BackupWins == before.BackupWins {
		t.Fatalf("Stats %+v after %+v: want a backup that won", st, before)
	}
	if h.CancelReachesFunction && !waitFor(func() bool { return cancelled(dir, "wins-8") == 1 }) {
		t.Fatal("the slow first attempt was not cancelled once its backup won")
	}
	checkLoserAbandoned(t, h, p, before)
}

// checkLoserAbandoned checks, where the platform cannot cancel a running
// invocation, that the losing attempt of a backed-up call counts in
// Stats.Abandoned: it runs on, and is billed, after the call returned.
func checkLoserAbandoned(t *testing.T, h Harness, p *pool.Pool, before pool.Stats) {
	t.Helper()
	if h.CancelReachesFunction {
		return
	}
	if !waitFor(func() bool { return p.Stats().Abandoned > before.Abandoned }) {
		t.Fatalf("Stats.Abandoned = %d, unchanged: the losing attempt, which the platform cannot cancel, must count as abandoned", p.Stats().Abandoned)
	}
}

func testBackupLoses(t *testing.T, h Harness) {
	if !h.Remote {
		t.Skip("no backups in process (see BackupWins)")
	}
	dir := scratch(t)
	p := h.Open(t, pool.WithLimit(4), pool.WithBackups(2, 100*time.Millisecond))
	before := p.Stats()
	// The first attempt takes a while; a backup would take for ever.
	futs := mapGroup(t, p, Straggle, straggling(dir, "loses", 12, 8, 2*time.Second, time.Hour))
	if st := futs[8].Stats(); st.Backup || st.Attempts < 2 {
		t.Fatalf("the straggler's stats %+v: want a backup started and its result from the first attempt", st)
	}
	if st := p.Stats(); st.Backups == before.Backups {
		t.Fatalf("Stats %+v after %+v: want a backup", st, before)
	}
	if h.CancelReachesFunction && !waitFor(func() bool { return cancelled(dir, "loses-8") == 1 }) {
		t.Fatal("the losing backup was not cancelled")
	}
	checkLoserAbandoned(t, h, p, before)
}

// A straggler's backup starts while the pool is at its limit with calls
// waiting, not once they have all run: it shares the straggler's slot. A
// backup that waited for a slot of its own waited behind every call not yet
// started (hedgebench figure 2 lost 80 of 81 backups so, on process:// and
// knative:// alike).
func testBackupAtTheLimit(t *testing.T, h Harness) {
	if !h.Remote {
		t.Skip("no backups in process (see BackupWins)")
	}
	dir := scratch(t)
	p := h.Open(t, pool.WithLimit(2), pool.WithBackups(2, 100*time.Millisecond))
	// 400 calls of 20 ms through 2 slots take at least 4 s; the
	// straggler's backup is due about 100 ms after it starts.
	const n = 400
	ins := straggling(dir, "limit", n, 0, time.Minute, 20*time.Millisecond)
	for i := 1; i < n; i++ {
		ins[i].First, ins[i].Later = 20*time.Millisecond, 20*time.Millisecond
	}
	g, _ := pool.WithContext(context.Background(), p)
	futs := make([]*pool.Future[int], n)
	for i, in := range ins {
		futs[i] = Straggle.Go(g, in)
	}
	<-futs[0].Done()
	finished := 0
	for _, f := range futs[1:] {
		select {
		case <-f.Done():
			finished++
		default:
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if st := futs[0].Stats(); !st.Backup {
		t.Fatalf("the straggler's stats %+v: want its result from a backup", st)
	}
	if finished == n-1 {
		t.Fatalf("the straggler's backup ended after all %d other calls: it waited for a slot of its own instead of sharing the straggler's", n-1)
	}
	t.Logf("%d of %d other calls had finished when the backup won", finished, n-1)
	if h.CancelReachesFunction && !waitFor(func() bool { return cancelled(dir, "limit-0") == 1 }) {
		t.Fatal("the slow first attempt was not cancelled once its backup won")
	}
}

func testNoBackup(t *testing.T, h Harness) {
	dir := scratch(t)
	p := h.Open(t, pool.WithLimit(4), pool.WithBackups(2, 50*time.Millisecond))
	before := p.Stats()
	futs := mapGroup(t, p, StraggleOnce, straggling(dir, "once", 12, 8, 800*time.Millisecond, time.Hour))
	if st := futs[8].Stats(); st.Backup {
		t.Fatalf("the slow call of a function not marked Idempotent: %+v, want no backup", st)
	}
	if st := p.Stats(); st.Backups != before.Backups {
		t.Fatalf("Backups %d → %d for a function not marked Idempotent", before.Backups, st.Backups)
	}
}

// A function that ignores its context still lets its call return at the
// deadline, and the pool goes on serving.
//
// The call leaves its worker running the function, and a backend may kill
// that worker a grace period later (pool/process does, so as not to lose it
// to the call): on a pool of its own, so that the kill cannot take a worker
// from, or a call in flight on, the checks that run next. On a busy machine
// they did (a Goexit check's only call after it, without retries, died with
// the killed worker; on tcp, which starts no replacement, the pool was left
// with no worker at all once Goexit ended the other one, and hung).
func testContextIgnored(t *testing.T, h Harness) {
	open := h.openFresh
	if open == nil {
		open = h.Open
	}
	base := open(t)
	p := base.With(pool.WithRetries(0))
	before := p.Stats()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := Stubborn.Call(ctx, p, 30*time.Second); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a call whose function ignores its context did not return at its deadline")
	}
	// In process the goroutine is left running; elsewhere the platform
	// may not be able to stop the invocation: either way it is abandoned.
	if st := p.Stats(); (!h.CancelReachesFunction || !h.Remote) && st.Abandoned == before.Abandoned {
		t.Errorf("Stats.Abandoned = %d, unchanged: a call left running must count as abandoned", st.Abandoned)
	}
	if y, err := Square.Call(context.Background(), base, 3); err != nil || y != 9 {
		t.Fatalf("after a context-ignoring call: %d, %v", y, err)
	}
}

// Once Done is closed the call's slot in its group is free: TryGo at the
// limit succeeds right after.
func testTryGoAfterDone(t *testing.T, h Harness) {
	p := h.Open(t)
	var wg sync.WaitGroup
	var fails atomic.Int64
	for w := range 8 {
		wg.Go(func() {
			g, _ := pool.WithContext(context.Background(), p)
			g.SetLimit(1)
			for i := range 25 {
				f := Square.Go(g, w*100+i)
				<-f.Done()
				f2, ok := Square.TryGo(g, i)
				if !ok {
					fails.Add(1)
					continue
				}
				<-f2.Done()
			}
			if err := g.Wait(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := fails.Load(); n > 0 {
		t.Fatalf("TryGo at the limit failed %d times right after the call's Done was closed", n)
	}
}

// Stream with a slow consumer never has more calls started and not yet
// consumed than its window (here the view's limit).
func testStreamWindow(t *testing.T, h Harness) {
	const window = 3
	p := h.Open(t, pool.WithLimit(window))
	var pulled, consumed, peak atomic.Int64
	seq := func(yield func(int) bool) {
		for i := 0; ; i++ {
			if n := pulled.Add(1) - consumed.Load(); n > peak.Load() {
				peak.Store(n)
			}
			if !yield(i) {
				return
			}
		}
	}
	for y, err := range Square.Stream(context.Background(), p, seq) {
		if err != nil {
			t.Fatal(err)
		}
		n := consumed.Add(1)
		if y != int((n-1)*(n-1)) {
			t.Fatalf("item %d = %d", n-1, y)
		}
		time.Sleep(5 * time.Millisecond) // a slow consumer
		if n == 40 {
			break
		}
	}
	if peak.Load() > window {
		t.Fatalf("%d calls were started and not consumed at once, window %d", peak.Load(), window)
	}
}

// A function calling runtime.Goexit ends its call with an error naming it.
func testGoexit(t *testing.T, h Harness) {
	p := h.Open(t, pool.WithRetries(0))
	done := make(chan error, 1)
	go func() { _, err := Goexit.Map(context.Background(), p, []int{1}); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "Goexit") {
			t.Fatalf("err = %v, want an error naming runtime.Goexit", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a call whose function ran runtime.Goexit hung")
	}
	// A bound, so that a pool left without workers fails here rather than
	// hanging until the package's timeout hides which worker went where.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if y, err := Square.Call(ctx, p, 4); err != nil || y != 16 {
		t.Fatalf("after Goexit: %d, %v", y, err)
	}
}
