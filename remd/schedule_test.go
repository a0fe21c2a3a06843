package remd

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burst-dev/burst/remd/engine"
)

// delayed is doublewell with a sleep before each segment that delay
// chooses, so segments finish in an order the test picks. It runs only on
// local:// pools (the recorder is in this process).
type delayed struct {
	engine.Engine
	rec *segmentLog
}

// segmentLog records, by temperature, when each segment started and ended.
type segmentLog struct {
	mu    sync.Mutex
	delay func(t float64, nth int) time.Duration
	start map[float64][]time.Time
	end   map[float64][]time.Time
}

func (d delayed) Segment(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand) (float64, error) {
	l := d.rec
	l.mu.Lock()
	nth := len(l.start[t])
	l.start[t] = append(l.start[t], time.Now())
	l.mu.Unlock()
	time.Sleep(l.delay(t, nth))
	u, err := d.Engine.Segment(ctx, st, t, steps, rng)
	l.mu.Lock()
	l.end[t] = append(l.end[t], time.Now())
	l.mu.Unlock()
	return u, err
}

var (
	delayedOnce sync.Once
	delayedLogs sync.Map // engine option "log" → *segmentLog
	delayedRuns atomic.Int64
)

// delayedEngine registers "test.delayed" once and returns the spec of an
// engine that logs into l.
func delayedEngine(t *testing.T, l *segmentLog) engine.Spec {
	delayedOnce.Do(func() {
		engine.Register("test.delayed", func(opt json.RawMessage) (engine.Engine, error) {
			var o struct{ Log string }
			if err := json.Unmarshal(opt, &o); err != nil {
				return nil, err
			}
			v, _ := delayedLogs.Load(o.Log)
			e, err := engine.New(engine.Spec{Name: "doublewell"})
			return delayed{Engine: e, rec: v.(*segmentLog)}, err
		})
	})
	l.start, l.end = map[float64][]time.Time{}, map[float64][]time.Time{}
	// A name of its own in every call: workers keep engines by their spec
	// (see borrowEngine), and one built for an earlier run of this test
	// (-count) would log into that run's log.
	name := fmt.Sprintf("%s#%d", t.Name(), delayedRuns.Add(1))
	delayedLogs.Store(name, l)
	opt, _ := json.Marshal(map[string]string{"Log": name})
	return engine.Spec{Name: "test.delayed", Options: opt}
}

// Segments that finish in any order give the bytes of a run whose segments
// finish in order: each exchange is decided from its pair's energies and the
// round's own random numbers, never from the order results arrive in.
func TestAnyFinishingOrderGivesTheSameRun(t *testing.T) {
	for _, scheme := range []Scheme{Neighbors, SwapAll} {
		t.Run(string(scheme), func(t *testing.T) {
			cfg := smallRun()
			cfg.Exchange = scheme
			want := runTo(t, "local://", cfg)
			l := &segmentLog{delay: func(t float64, nth int) time.Duration {
				// A different temperature is slowest in each round.
				if slices.Index(smallRun().Temperatures, t) == nth%5 {
					return 3 * time.Millisecond
				}
				return time.Duration(nth%3) * time.Millisecond
			}}
			cfg.Engine = delayedEngine(t, l)
			got := runTo(t, "local://?limit=5", cfg)
			for _, name := range []string{energiesFile, exchangesFile, walksFile} {
				sameFiles(t, "delayed vs in order", map[string][]byte{name: got[name]}, map[string][]byte{name: want[name]})
			}
		})
	}
}

// One slow segment holds up only the replicas whose exchanges wait for it:
// the top temperature, which has no partner in round 0 and a partner freed
// by a fast pair in round 1, runs its round-1 segment while the lowest
// temperature's round-0 segment is still running. (Round 2 waits for round
// 0's checkpoint, which needs the slow segment.)
func TestSlowSegmentHoldsUpOnlyItsNeighbours(t *testing.T) {
	cfg := smallRun()
	cfg.Rounds = 6
	l := &segmentLog{delay: func(t float64, nth int) time.Duration {
		if t == 0.3 && nth == 0 {
			return time.Second
		}
		return 0
	}}
	cfg.Engine = delayedEngine(t, l)
	runTo(t, "local://?limit=5", cfg)

	l.mu.Lock()
	defer l.mu.Unlock()
	slowEnd := l.end[0.3][0]
	ahead := 0
	for _, s := range l.start[4.8] {
		if s.Before(slowEnd) {
			ahead++
		}
	}
	if ahead != 2 {
		t.Errorf("%d segments at the top temperature started while the slow one ran, want 2 (rounds 0 and 1; a whole-round barrier gives 1)", ahead)
	}
}
