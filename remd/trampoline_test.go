package remd

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/burst-dev/burst/pool"
)

// An event posted while one is handled, from inside the handler, is handled
// after it, in the order posted, and never inside it.
func TestTrampolineHandlesNestedPostsAfterTheCurrentEvent(t *testing.T) {
	var got []int
	depth := 0
	var tr trampoline[int]
	tr.handle = func(e int) {
		depth++
		defer func() { depth-- }()
		if depth > 1 {
			t.Errorf("event %d handled inside another's handler", e)
		}
		got = append(got, e)
		switch e {
		case 1:
			tr.post(2)
			tr.post(3)
			if len(got) != 1 {
				t.Errorf("after posting 2 and 3 from 1's handler, handled %v, want [1]", got)
			}
		case 2:
			tr.post(4)
		}
	}
	tr.post(1)
	if want := []int{1, 2, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
	tr.post(5)
	if want := []int{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("a post on an idle trampoline: handled %v, want %v", got, want)
	}
}

// Events posted from many goroutines at once are all handled, one at a
// time, each goroutine's in the order it posted them.
func TestTrampolineLosesNoEventOfConcurrentPosters(t *testing.T) {
	const posters, each = 8, 2000
	type ev struct{ from, seq int }
	var (
		tr      trampoline[ev]
		running atomic.Int32
		next    [posters]int // handled only by the handler, one at a time
		handled int
	)
	nested := 0
	tr.handle = func(e ev) {
		if running.Add(1) != 1 {
			t.Error("two events handled at once")
		}
		defer running.Add(-1)
		if e.seq < 0 {
			nested++
			return
		}
		if e.seq != next[e.from] {
			t.Errorf("poster %d: event %d handled after %d", e.from, e.seq, next[e.from]-1)
		}
		next[e.from] = e.seq + 1
		handled++
		if e.seq%3 == 0 {
			tr.post(ev{from: e.from, seq: -1}) // nested, outside the order check
		}
	}
	var wg sync.WaitGroup
	for p := range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				tr.post(ev{from: p, seq: i})
			}
		}()
	}
	wg.Wait()
	// The last poster may return while another goroutine still drains.
	for {
		tr.mu.Lock()
		busy := tr.draining || len(tr.queue) > 0
		tr.mu.Unlock()
		if !busy {
			break
		}
		runtime.Gosched()
	}
	if handled != posters*each {
		t.Errorf("handled %d events, want %d", handled, posters*each)
	}
	if want := posters * ((each + 2) / 3); nested != want {
		t.Errorf("handled %d nested events, want %d", nested, want)
	}
}

// A pool may finish a call, and run its OnDone, before Go returns, or inside
// Go: the scheduler then books that segment while it is still starting
// others from the event it handles. The run gives the same bytes as one whose
// results come later.
func TestSegmentsFinishedBeforeGoReturnsGiveTheSameRun(t *testing.T) {
	for _, scheme := range []Scheme{Neighbors, SwapAll} {
		t.Run(string(scheme), func(t *testing.T) {
			cfg := smallRun()
			cfg.Exchange = scheme
			want := runTo(t, "local://", cfg)
			cfg.goSegment = func(g *pool.Group, in SegmentIn) *pool.Future[SegmentOut] {
				f := segment.Go(g, in)
				<-f.Done()
				return f
			}
			sameFiles(t, "local:// finished before Go returns vs local://", runTo(t, "local://", cfg), want)
			sameFiles(t, "process:// finished before Go returns vs local://", runTo(t, "process://?workers=2", cfg), want)
			cfg.Storage, cfg.StorageURL = ObjectStore, "file://"+t.TempDir()
			sameFiles(t, "process:// with object storage, finished before Go returns, vs local://", runTo(t, "process://?workers=2", cfg), want)
		})
	}
}
