package remd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/engine"
)

// Segments packed several to a call give the bytes of a run with a call per
// segment, on every backend and in every storage, for both schemes (a pack may hold
// segments of two rounds, and SwapAll starts a whole round at once).
func TestPackedCallsGiveTheSameRun(t *testing.T) {
	for _, scheme := range []Scheme{Neighbors, SwapAll} {
		t.Run(string(scheme), func(t *testing.T) {
			cfg := smallRun()
			cfg.Exchange = scheme
			want := runTo(t, "local://", cfg)
			for _, k := range []int{2, 3} {
				cfg.SegmentsPerCall = k
				for _, u := range []string{"local://", "process://?workers=2"} {
					sameFiles(t, fmt.Sprintf("%d segments per call on %s vs one", k, u), runTo(t, u, cfg), want)
				}
			}
			cfg.Storage, cfg.StorageURL = ObjectStore, "file://"+t.TempDir()
			sameFiles(t, "3 segments per call on process:// with object storage vs payload, one per call", runTo(t, "process://?workers=2", cfg), want)
			redis := testenv.StartRedis(t, testenv.RedisOptions{})
			cfg.Storage, cfg.StorageURL, cfg.SharedURL = Shared, "", redis.URL(url.Values{"namespace": {"remd-packed-" + string(scheme)}})
			sameFiles(t, "3 segments per call on process:// with Redis vs payload, one per call", runTo(t, "process://?workers=2", cfg), want)
		})
	}
}

// runCalls runs cfg on a pool at u and returns its summary.
func runCalls(t *testing.T, u string, cfg Config) Summary {
	t.Helper()
	cfg.Out = t.TempDir()
	res, err := runOn(t, u, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res.Summary
}

// By default, segments are packed only where a call costs a round trip to
// another process and the pool has few slots for the replicas: not in
// process, and not when asked for one segment per call.
func TestShortSegmentsArePackedOnlyWhereCallsCost(t *testing.T) {
	cfg := smallRun()
	cfg.Temperatures = []float64{0.3, 0.45, 0.6, 0.9, 1.2, 1.8, 2.4, 3.6}
	segments := int64(cfg.Rounds * len(cfg.Temperatures))
	for _, c := range []struct {
		url    string
		per    int
		packed bool
	}{
		{"process://?workers=1", 0, true},
		{"process://?workers=1", 1, false},
		{"local://?limit=1", 0, false},
		// Eight replicas fill four slots twice: packing would idle them.
		{"process://?workers=4", 0, false},
	} {
		cfg.SegmentsPerCall = c.per
		s := runCalls(t, c.url, cfg)
		if packed := s.Calls < segments; packed != c.packed {
			t.Errorf("%s, SegmentsPerCall %d: %d calls for %d segments, want packed = %v", c.url, c.per, s.Calls, segments, c.packed)
		}
	}
}

// failingEngine fails its segments at temperature failT from its failFrom-th
// segment there on, as an engine that blows up (NaN forces) would.
type failingEngine struct {
	engine.Engine
	failT    float64
	failFrom int
	mu       sync.Mutex
	seen     int
}

var errBlownUp = errors.New("forces are NaN")

func (e *failingEngine) Segment(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand) (float64, error) {
	if t == e.failT {
		e.mu.Lock()
		e.seen++
		n := e.seen
		e.mu.Unlock()
		if n > e.failFrom {
			return 0, errBlownUp
		}
	}
	return e.Engine.Segment(ctx, st, t, steps, rng)
}

// dyingEngine kills its own worker process, once per marker file, at its
// after-th segment: a node lost in the middle of a call.
type dyingEngine struct {
	engine.Engine
	marker string
	after  int
	mu     sync.Mutex
	seen   int
}

func (e *dyingEngine) Segment(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand) (float64, error) {
	e.mu.Lock()
	e.seen++
	n := e.seen
	e.mu.Unlock()
	if n == e.after {
		if f, err := os.OpenFile(e.marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
			f.Close()
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	return e.Engine.Segment(ctx, st, t, steps, rng)
}

// Registered in every process of the test binary: the workers of
// process:// pools build them too.
func init() {
	registerDoublewell("test.failing", func(dw engine.Engine) (engine.Engine, any) {
		e := &failingEngine{Engine: dw}
		return e, &struct {
			T    *float64 `json:"t"`
			From *int     `json:"from"`
		}{&e.failT, &e.failFrom}
	})
	registerDoublewell("test.dying", func(dw engine.Engine) (engine.Engine, any) {
		e := &dyingEngine{Engine: dw}
		return e, &struct {
			Marker *string `json:"marker"`
			After  *int    `json:"after"`
		}{&e.marker, &e.after}
	})
}

// registerDoublewell registers name as the double well wrapped by wrap,
// which returns the engine and where its options decode to.
func registerDoublewell(name string, wrap func(engine.Engine) (engine.Engine, any)) {
	engine.Register(name, func(opt json.RawMessage) (engine.Engine, error) {
		dw, err := engine.New(engine.Spec{Name: "doublewell"})
		if err != nil {
			return nil, err
		}
		e, opts := wrap(dw)
		return e, json.Unmarshal(opt, opts)
	})
}

// A segment that fails in a packed call stops the run with its own error,
// which names its replica and round; the run's error names the rounds of
// the call it was in.
func TestFailedSegmentInAPackNamesItself(t *testing.T) {
	for _, per := range []int{1, 3} {
		cfg := smallRun()
		// A spec of its own per run: engines are kept by spec (borrowEngine).
		cfg.Engine = engine.Spec{Name: "test.failing", Options: json.RawMessage(fmt.Sprintf(`{"t":1.2,"from":4,"run":%d}`, delayedRuns.Add(1)))}
		cfg.SegmentsPerCall = per
		cfg.Out = t.TempDir()
		// One slot: the segments at T=1.2 run in round order.
		err := runErrOn(t, "local://?limit=1", cfg)
		if !errors.Is(err, errBlownUp) {
			t.Fatalf("SegmentsPerCall %d: Run = %v, want the engine's error", per, err)
		}
		msg := err.Error()
		// The fifth segment at T=1.2 is round 4's.
		if !strings.Contains(msg, " round 4 at T=1.2: forces are NaN") || !strings.HasPrefix(msg, "remd: round") {
			t.Errorf("SegmentsPerCall %d: Run = %q, want it to name round 4 at T=1.2, after the round(s) of its call", per, msg)
		}
		if _, err := os.Stat(filepath.Join(cfg.Out, "checkpoint.json")); err != nil {
			t.Errorf("SegmentsPerCall %d: no checkpoint of the rounds before the failure: %v", per, err)
		}
	}
}

// A worker killed in the middle of a packed call loses nothing: the call is
// run again on a worker that is alive (or its backup's result is taken),
// and the run gives the bytes of one that lost no worker.
func TestWorkerKilledInAPackLosesNoSegment(t *testing.T) {
	want := runTo(t, "local://", smallRun())
	for _, noBackups := range []bool{true, false} {
		cfg := smallRun()
		marker := filepath.Join(t.TempDir(), "died")
		opt, _ := json.Marshal(map[string]any{"marker": marker, "after": 20})
		cfg.Engine = engine.Spec{Name: "test.dying", Options: opt}
		cfg.SegmentsPerCall = 3
		cfg.NoBackups = noBackups
		p, err := pool.Open(context.Background(), "process://?workers=2")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Out = t.TempDir()
		_, err = Run(context.Background(), p, cfg)
		ps := p.Stats()
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(marker); err != nil {
			t.Fatalf("no worker died: %v", err)
		}
		if ps.Retries < 1 && (noBackups || ps.BackupWins < 1) {
			t.Errorf("NoBackups %v: %d retries, %d backup wins: want the killed worker's call run again", noBackups, ps.Retries, ps.BackupWins)
		}
		got := deterministicFiles(t, cfg.Out)
		for _, name := range []string{energiesFile, exchangesFile, walksFile} {
			sameFiles(t, fmt.Sprintf("NoBackups %v: a worker killed mid-pack vs none", noBackups), map[string][]byte{name: got[name]}, map[string][]byte{name: want[name]})
		}
	}
}

// A packed run stopped mid-run (segments waiting in the driver for a call,
// others in calls) ends, and resumes, with other packing, to the bytes of
// an uninterrupted run.
func TestPackedRunStoppedAndResumed(t *testing.T) {
	cfg := smallRun()
	want := runTo(t, "local://", cfg)
	cfg.SegmentsPerCall = 3
	dir := runStoppedAfter(t, cfg, 11)
	resumed := cfg
	resumed.Out, resumed.Resume, resumed.SegmentsPerCall = dir, true, 2
	sameFiles(t, "resumed with 2 per call after 3 per call vs uninterrupted", runTo(t, "process://?workers=2", resumed), want)
}

// A packed call cancelled while one of its segments runs starts no
// further segment, even when the engine does not look at its context
// during a segment this short.
func TestCancelledPackStartsNoFurtherSegment(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &segmentLog{delay: func(float64, int) time.Duration { cancel(); return 0 }}
	spec := delayedEngine(t, l)
	ins := []SegmentIn{{Engine: spec, Replica: 0, Steps: 10, T: 0.3}, {Engine: spec, Replica: 1, Steps: 10, T: 0.6}}
	_, err := runSegments(ctx, ins)
	l.mu.Lock()
	started := len(l.start[0.3]) + len(l.start[0.6])
	l.mu.Unlock()
	if !errors.Is(err, context.Canceled) || started != 1 {
		t.Errorf("runSegments cancelled during its first segment: err = %v after %d segments started, want context.Canceled after 1", err, started)
	}
}
