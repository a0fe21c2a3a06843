package remd

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/engine"
)

// SegmentIn is one segment: advance one replica by Steps MD steps. A pool
// call runs one (remd.segment) or several, one after another
// (remd.segments).
type SegmentIn struct {
	Engine  engine.Spec `json:"engine"`
	Seed    uint64      `json:"seed"`
	Replica int         `json:"replica"`
	Round   int         `json:"round"`
	Steps   int         `json:"steps"`
	// T is the temperature of this segment; PrevT that of the replica's
	// previous segment (0 in round 0). When they differ the replica was
	// swapped, and its velocities are rescaled by sqrt(T/PrevT) first.
	T     float64 `json:"t"`
	PrevT float64 `json:"prev_t,omitempty"`
	// Coords is how many leading coordinates to return in SegmentOut.X.
	Coords int `json:"coords,omitempty"`

	// Where the replica's state lives. Payload: in State (nil in round 0,
	// when the segment starts from the engine's initial state). Otherwise
	// the state after round r is stored under Key(r) in the store at URL:
	// the segment reads InKey (empty in round 0) and writes OutKey; the
	// driver drops states no checkpoint can refer to any more, a round's
	// in one batch (see the scheduler's dropper).
	// Session is the driver's session: a state this process stored in it
	// is kept for the replica's next segment (see kept).
	Session string        `json:"session,omitempty"`
	Storage Storage       `json:"storage"`
	URL     string        `json:"url,omitempty"`
	State   *engine.State `json:"state,omitempty"`
	InKey   string        `json:"in_key,omitempty"`
	OutKey  string        `json:"out_key,omitempty"`
}

// SegmentOut is what a segment sends back.
type SegmentOut struct {
	Potential float64       `json:"potential"`
	State     *engine.State `json:"state,omitempty"` // payload storage only
	X         []float64     `json:"x,omitempty"`     // the first Coords coordinates
	// CPUSeconds is the CPU time of the MD steps alone, not of loading or
	// storing the state, nor of waiting for a core.
	CPUSeconds float64 `json:"cpu_seconds"`
	// Start and End bracket the segment in Unix nanoseconds (the worker's
	// clock), to measure the driver's overhead between rounds.
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// segment is the registered pool function that runs one replica segment.
// Segments are deterministic and store the same state under the same key
// however often they run, so a slow one may get a backup attempt.
var segment = pool.Register("remd.segment", runSegment, pool.Idempotent())

// segments runs several replicas' segments in one call, one after another,
// when segments are short next to what a call costs (see packSize). A pack
// fails as a whole, and is retried or backed up as a whole: each of its
// segments may run again, which they allow.
var segments = pool.Register("remd.segments", runSegments, pool.Idempotent())

func runSegments(ctx context.Context, ins []SegmentIn) ([]SegmentOut, error) {
	outs := make([]SegmentOut, len(ins))
	for i, in := range ins {
		// A pack cancelled (its run stopped, or its backup won) runs no
		// further segment, though an engine checks its context only now
		// and then.
		if err := context.Cause(ctx); err != nil {
			return nil, err
		}
		out, err := runSegment(ctx, in)
		if err != nil {
			return nil, err
		}
		outs[i] = out
	}
	return outs, nil
}

func runSegment(ctx context.Context, in SegmentIn) (SegmentOut, error) {
	start := time.Now()
	e, release, err := borrowEngine(in.Engine)
	if err != nil {
		return SegmentOut{}, err
	}
	defer release()

	var store stateStore
	if in.Storage != Payload && in.Storage != "" {
		if store, err = openStore(ctx, in.Storage, in.URL); err != nil {
			return SegmentOut{}, err
		}
	}

	var st engine.State
	switch {
	case in.Round == 0:
		if st, err = e.Initial(initialRNG(in.Seed, in.Replica), in.T); err != nil {
			return SegmentOut{}, fmt.Errorf("remd: replica %d: initial state: %w", in.Replica, err)
		}
	case in.Storage == Payload || in.Storage == "":
		if in.State == nil {
			return SegmentOut{}, fmt.Errorf("remd: replica %d round %d: payload call carries no state", in.Replica, in.Round)
		}
		// A copy: on an in-process backend the state is the driver's own,
		// and a retried call must start from it unchanged.
		st = in.State.Clone()
	default:
		if k, ok := take(in.Session, in.InKey); ok {
			st = *k
		} else if st, err = store.load(ctx, in.InKey); err != nil {
			return SegmentOut{}, fmt.Errorf("remd: replica %d round %d: %w", in.Replica, in.Round, err)
		}
	}
	if len(st.X) != e.Dim() || len(st.V) != e.Dim() {
		return SegmentOut{}, fmt.Errorf("remd: replica %d: state has %d coordinates and %d velocities, engine %s wants %d",
			in.Replica, len(st.X), len(st.V), in.Engine.Name, e.Dim())
	}
	if in.PrevT > 0 && in.PrevT != in.T {
		s := math.Sqrt(in.T / in.PrevT)
		for i := range st.V {
			st.V[i] *= s
		}
	}

	rng := segmentRNG(in.Seed, in.Replica, in.Round)
	var u float64
	cpu := threadCPU(func() { u, err = e.Segment(ctx, &st, in.T, in.Steps, rng) })
	if err != nil {
		return SegmentOut{}, fmt.Errorf("remd: replica %d round %d at T=%v: %w", in.Replica, in.Round, in.T, err)
	}
	if math.IsNaN(u) || math.IsInf(u, 0) {
		return SegmentOut{}, fmt.Errorf("remd: replica %d round %d at T=%v: potential energy is %v (reduce dt)", in.Replica, in.Round, in.T, u)
	}
	out := SegmentOut{Potential: u, CPUSeconds: cpu}
	if in.Coords > 0 {
		out.X = append([]float64(nil), st.X[:min(in.Coords, len(st.X))]...)
	}
	if store == nil {
		out.State = &st
	} else if err := context.Cause(ctx); err != nil {
		// Cancelled: a backup won, or the run stopped. The driver may have
		// dropped this round's states already; storing now would leave one
		// behind.
		return SegmentOut{}, err
	} else if err := store.save(ctx, in.OutKey, st); err != nil {
		return SegmentOut{}, fmt.Errorf("remd: replica %d round %d: %w", in.Replica, in.Round, err)
	} else {
		keep(in.Session, in.OutKey, &st)
	}
	out.Start, out.End = start.UnixNano(), time.Now().UnixNano()
	return out, nil
}

// engines keeps built engines for reuse across calls in a worker: building
// one may parse force-field files, and an engine is lent to one segment at a
// time, so engines need not be safe for concurrent use.
var engines struct {
	sync.Mutex
	free map[string][]engine.Engine
}

func borrowEngine(spec engine.Spec) (engine.Engine, func(), error) {
	key := spec.Name + "\x00" + string(spec.Options)
	engines.Lock()
	if n := len(engines.free[key]); n > 0 {
		e := engines.free[key][n-1]
		engines.free[key] = engines.free[key][:n-1]
		engines.Unlock()
		return e, func() { giveBack(key, e) }, nil
	}
	engines.Unlock()
	e, err := engine.New(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("remd: %w", err)
	}
	return e, func() { giveBack(key, e) }, nil
}

func giveBack(key string, e engine.Engine) {
	engines.Lock()
	defer engines.Unlock()
	if engines.free == nil {
		engines.free = map[string][]engine.Engine{}
	}
	engines.free[key] = append(engines.free[key], e)
}
