package pool_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
)

// straggly sleeps First on a key's first attempt and Later on the others.
var (
	straggly = pool.Register("test.straggly", func(ctx context.Context, in straggleIn) (int, error) {
		d := in.Later
		if _, again := straggledKeys.LoadOrStore(in.Key, true); !again {
			d = in.First
		}
		select {
		case <-time.After(d):
			return in.X, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}, pool.Idempotent())
	straggledKeys sync.Map
)

type straggleIn struct {
	Key          string
	X            int
	First, Later time.Duration
}

// A call found slow just as it ends gets no backup, and the place among the
// backups that may run at once, taken for it, is free again. It was kept
// when the call's result won the race with its finding: once as many were
// kept as backups may run at once, no later call of the Group (remd's run)
// got a backup, and hedgebench figure 2 ran a whole remd run with its
// stragglers unhedged.
func TestBackupsGoOnAfterNearMisses(t *testing.T) {
	p := open(t, "local://?encode=1", pool.WithLimit(2), pool.WithBackups(1, time.Millisecond))
	g, _ := pool.WithContext(context.Background(), p)
	rng := rand.New(rand.NewPCG(1, 2))
	run := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano()) // keys of this run alone (-count)
	// Calls of 0.5 to 2.5 ms: about half run past the threshold (k = 1:
	// their median), many of them only just.
	const n = 1000
	for i := range n {
		d := time.Duration(500+rng.IntN(2000)) * time.Microsecond
		straggly.Go(g, straggleIn{Key: fmt.Sprintf("%s-%d", run, i), X: i, First: d, Later: d})
	}
	f := straggly.Go(g, straggleIn{Key: run + "-straggler", X: n, First: time.Minute, Later: time.Millisecond})
	for i := range 10 {
		straggly.Go(g, straggleIn{Key: fmt.Sprintf("%s-after-%d", run, i), X: i, First: time.Millisecond, Later: time.Millisecond})
	}
	waitOrFail(t, g, func() {
		t.Fatalf("the straggler got no backup after %d calls (Stats %+v): places taken for backups of calls that had ended were kept", n, p.Stats())
	})
	if st := f.Stats(); !st.Backup {
		t.Fatalf("the straggler's stats %+v: want its result from a backup", st)
	}
	t.Logf("%+v", p.Stats())
}

// A backup attempt follows no failure: it is counted in Backups, and not in
// Retries, in the pool's Stats and in the call's CallStats. Retries once
// counted every attempt beyond the first, so each backup showed as a retry.
func TestBackupIsNotARetry(t *testing.T) {
	p := open(t, "local://?encode=1", pool.WithLimit(4), pool.WithBackups(2, 100*time.Millisecond))
	before := p.Stats()
	g, _ := pool.WithContext(context.Background(), p)
	run := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano()) // keys of this run alone (-count)
	// Quick calls give the median; the straggler's first attempt would
	// take a minute, its backup a millisecond.
	for i := range 8 {
		straggly.Go(g, straggleIn{Key: fmt.Sprintf("%s-%d", run, i), X: i, First: time.Millisecond, Later: time.Millisecond})
	}
	f := straggly.Go(g, straggleIn{Key: run + "-straggler", X: 8, First: time.Minute, Later: time.Millisecond})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if st := f.Stats(); !st.Backup || st.Backups != 1 || st.Attempts != 2 {
		t.Errorf("the straggler's CallStats: Backup %v, Backups %d, Attempts %d; want true, 1, 2", st.Backup, st.Backups, st.Attempts)
	}
	st := p.Stats()
	if st.Backups == before.Backups {
		t.Errorf("Stats.Backups %d → %d: want the straggler's backup counted", before.Backups, st.Backups)
	}
	// No call failed, so there was nothing to retry, however many backups
	// a busy machine started.
	if st.Retries != before.Retries {
		t.Errorf("Stats.Retries %d → %d with %d backups and no failure: want backups not counted as retries", before.Retries, st.Retries, st.Backups-before.Backups)
	}
}

// A call that started before enough calls had ended to know the threshold
// gets its backup once they have: its timer is set when the threshold
// becomes known, not only when a call starts.
func TestBackupOfACallStartedBeforeTheThreshold(t *testing.T) {
	p := open(t, "local://?encode=1", pool.WithLimit(4), pool.WithBackups(2, time.Millisecond))
	g, _ := pool.WithContext(context.Background(), p)
	run := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	f := straggly.Go(g, straggleIn{Key: run + "-straggler", X: -1, First: time.Minute, Later: time.Millisecond})
	for i := range 3 {
		straggly.Go(g, straggleIn{Key: fmt.Sprintf("%s-%d", run, i), X: i, First: time.Millisecond, Later: time.Millisecond})
	}
	waitOrFail(t, g, func() {
		t.Fatalf("the straggler, started before three calls had ended, got no backup once they had (Stats %+v)", p.Stats())
	})
	if st := f.Stats(); !st.Backup {
		t.Fatalf("the straggler's stats %+v: want its result from a backup", st)
	}
}

// With as many backups running as may, a call found slow waits for a place
// and gets the first one freed.
func TestBackupWaitsForAPlace(t *testing.T) {
	// Limit 2: one backup at a time.
	p := open(t, "local://?encode=1", pool.WithLimit(2), pool.WithBackups(2, time.Millisecond))
	g, _ := pool.WithContext(context.Background(), p)
	run := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	// Three calls end first, so that the Group's threshold is known.
	for i := range 3 {
		if _, err := straggly.Go(g, straggleIn{Key: fmt.Sprintf("%s-%d", run, i), X: i, First: time.Millisecond, Later: time.Millisecond}).Get(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Two stragglers at once: the second's backup waits for the first's
	// to end (its backup takes 300 ms), then starts.
	a := straggly.Go(g, straggleIn{Key: run + "-a", X: 10, First: time.Minute, Later: 300 * time.Millisecond})
	b := straggly.Go(g, straggleIn{Key: run + "-b", X: 11, First: time.Minute, Later: time.Millisecond})
	waitOrFail(t, g, func() {
		t.Fatalf("a straggler found slow while the one backup place was taken never got one (Stats %+v)", p.Stats())
	})
	if !a.Stats().Backup || !b.Stats().Backup {
		t.Fatalf("stats %+v and %+v: want both results from backups", a.Stats(), b.Stats())
	}
}

// waitOrFail waits for g, failing t on its error, and calls stuck if it has
// not ended within 30 s (a straggler that never got its backup).
func waitOrFail(t *testing.T, g *pool.Group, stuck func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		stuck()
	}
}
