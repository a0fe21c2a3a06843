package remd

import (
	"fmt"
	"testing"

	"github.com/burst-dev/burst/remd/engine"
)

// kept hands a state to one reader of its session, and holds at most
// keptBytes however many states are stored and never taken.
func TestKeptStates(t *testing.T) {
	t.Cleanup(func() {
		kept.Lock()
		kept.m, kept.queue, kept.bytes = nil, nil, 0
		kept.Unlock()
	})
	st := func(v float64) *engine.State {
		return &engine.State{X: make(engine.Floats, 1<<17), V: engine.Floats{v}}
	}
	keep("s1", "k", st(1))
	if _, ok := take("s2", "k"); ok {
		t.Error("another session took a kept state")
	}
	if got, ok := take("s1", "k"); !ok || got.V[0] != 1 {
		t.Errorf("take = %v, %v; want the kept state", got, ok)
	}
	if _, ok := take("s1", "k"); ok {
		t.Error("a kept state was taken twice")
	}
	keep("", "k", st(1))
	if _, ok := take("", "k"); ok {
		t.Error("a state without a session was kept")
	}

	size := stateBytes(st(0))
	n := 3 * keptBytes / size
	for i := range n {
		keep("s1", fmt.Sprint(i), st(float64(i)))
		if i%3 == 0 {
			take("s1", fmt.Sprint(i))
		}
	}
	kept.Lock()
	bytes, entries, queue := kept.bytes, len(kept.m), len(kept.queue)
	kept.Unlock()
	if bytes > keptBytes || entries > keptBytes/size || queue > 2*entries+64 {
		t.Errorf("after %d states of %d bytes: kept %d bytes in %d entries, queue %d; want ≤ %d bytes, queue ≤ 2×entries+64",
			n, size, bytes, entries, queue, keptBytes)
	}
	if got, ok := take("s1", fmt.Sprint(n-1)); !ok || got.V[0] != float64(n-1) {
		t.Errorf("the newest state: %v, %v; want it kept", got, ok)
	}
	if _, ok := take("s1", "1"); ok {
		t.Error("the oldest state is still kept")
	}
}
