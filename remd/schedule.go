package remd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/burst-dev/burst/pool"
)

// A replica's next segment needs only the exchange its temperature takes
// part in, and a neighbours exchange needs only its two segments: so the
// scheduler starts a pair's next segments as soon as both partners are in,
// instead of waiting for the whole round. The round's slowest segment then
// holds up its neighbours, not every core, which is most of what a
// synchronous round loses (each pair's uniform number is drawn from the
// round's stream in the same order as before, so every decision, and every
// output byte, is the one the whole-round loop gives). SwapAll chains its
// attempts through the whole round and keeps the barrier.
//
// Rounds still complete, and are written and checkpointed, in order; a
// segment of round r starts only once round r−2's checkpoint is on disk,
// which bounds the rounds in flight, and the states stored, to four. Once
// round c's checkpoint is on disk, no checkpoint can name round c−1's
// states any more, and no segment that counts reads them (a backup attempt
// of round c that still runs has lost its race): the dropper deletes them,
// every replica's in one request (S3's DeleteObjects, Redis's HDEL), off the
// scheduler's goroutine. A run killed at any moment resumes from a
// checkpoint whose states are all still stored. (Segments used to drop
// these themselves, one DELETE in every call.)

// roundBook is what the scheduler knows of one round in flight.
type roundBook struct {
	perm    []int         // perm[k]: the replica at temperature k in this round; -1 until decided
	slot    []int         // slot[rep]: the temperature index of replica rep; -1 until decided
	outs    []*SegmentOut // by replica, as segments finish
	left    int           // segments not finished
	exch    []Exchange    // the exchanges after this round, in the order they were drawn
	waiting []int         // replicas whose segment waits for round r−2's checkpoint
	draws   []float64     // neighbours: the round's uniform numbers, by pair
}

// event is what the scheduler handles (see trampoline): the run's start,
// a finished segment, or the writer's report on a round.
type event struct {
	kind eventKind
	segs []segmentDone // segmentsFinished: the segments of one call
	// encoded (segmentsFinished): the call crossed a process boundary, so
	// it cost the pool a round trip (see packSize).
	encoded bool
	err     error // roundWritten: the writer's error
}

type eventKind int

const (
	runStarts eventKind = iota
	segmentsFinished
	roundWritten
)

// segmentDone is one finished segment.
type segmentDone struct {
	round, rep int
	out        SegmentOut
	err        error
	// first and last are the rounds of the call's segments, which fail
	// together when the call fails (see start).
	first, last int
}

// where names the segment's round, or for a failed call of several
// segments, the rounds its segments were from: which of them failed, the
// error itself says.
func (d segmentDone) where() string {
	if d.first == d.last {
		return fmt.Sprintf("round %d", d.first)
	}
	return fmt.Sprintf("rounds %d–%d (one call)", d.first, d.last)
}

// roundJob is a completed round for the writer.
type roundJob struct {
	rr       RoundResult
	snap     *runState
	wall     float64
	cpu      float64
	overhead float64
}

// scheduler runs the rounds of Run from st.Done on.
type scheduler struct {
	cfg    *Config
	st     *runState
	out    *outputs
	ses    *session
	ex     *exchanger
	p      *pool.Pool
	g      *pool.Group
	packs  *pool.Group // the calls of several segments (see packFloor)
	coords int
	url    string
	// session names this session in its segments, whose workers keep
	// the states they store for the session's next segments (see kept).
	session string

	// events runs the scheduler on the goroutines that post to it: what
	// the scheduler books (the fields below, st) is its handler's alone,
	// one event at a time, and run's once the handler is done.
	events   trampoline[event]
	books    map[int]*roundBook
	written  int // the last round whose files and checkpoint are on disk
	inFlight int // segments started and not finished, pending ones included

	// pending are the segments ready to run and not yet in a call, calls
	// the calls in flight, segTime and segN the segments' run times so
	// far, and remote whether calls cross a process boundary: see
	// dispatch and packSize.
	pending []SegmentIn
	calls   int
	segTime time.Duration
	segN    int
	remote  bool
	packed  int // the largest pack so far, to log when packing starts

	jobs    chan roundJob
	writing int    // jobs handed to the writer and not yet reported
	drops   *drops // nil for Payload

	stats0       pool.Stats
	wall0        float64
	calls0       int64
	retries0     int64
	backups0     int64
	sessionStart time.Time
	lastRoundAt  time.Time
	lastEnd      int64
}

func (s *scheduler) book(r int) *roundBook {
	b := s.books[r]
	if b == nil {
		n := len(s.cfg.Temperatures)
		b = &roundBook{perm: make([]int, n), slot: make([]int, n), outs: make([]*SegmentOut, n), left: n}
		for k := range n {
			b.perm[k], b.slot[k] = -1, -1
		}
		if s.cfg.Exchange != SwapAll {
			b.draws = neighborDraws(s.cfg.Seed, r, n)
			b.exch = make([]Exchange, len(b.draws))
		}
		s.books[r] = b
	}
	return b
}

// place records that replica rep is at temperature k in round r.
func (b *roundBook) place(k, rep int) { b.perm[k], b.slot[rep] = rep, k }

// run runs rounds st.Done … cfg.Rounds−1.
func (s *scheduler) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g, gctx := pool.WithContext(ctx, s.p)
	s.g = g
	pp := s.p
	if !s.cfg.NoBackups {
		pp = s.p.With(pool.WithBackups(0, packFloor))
	}
	s.packs, _ = pool.WithContext(gctx, pp)
	n := len(s.cfg.Temperatures)
	s.books = map[int]*roundBook{}
	s.written = s.st.Done - 1
	s.lastRoundAt = s.sessionStart
	var id [8]byte
	rand.Read(id[:])
	s.session = hex.EncodeToString(id[:])
	if s.out != nil {
		s.jobs = make(chan roundJob, 4)
		go s.writer()
		defer close(s.jobs)
	}
	if s.ses.store != nil {
		d := &drops{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
		s.drops = d
		go s.dropper(ctx, d, max(s.st.Done-maxDropRounds, 0))
		defer func() { close(d.stop); <-d.done }()
	}

	b := s.book(s.st.Done)
	for k, rep := range s.st.Perm {
		b.place(k, rep)
	}
	if err := s.ses.lease.lost(); err != nil {
		return err
	}
	// failed is the run's error: a segment's (wrapped with its round once
	// the group says which failure came first), the writer's, or a lost
	// lease. The handler then only waits for what is in flight.
	var failed error
	var segFailures []segmentDone
	segmentFirst := false // failed is a segment's error, not the writer's or a lost lease
	fail := func(err error) {
		if failed == nil {
			failed = err
			cancel(err)
		}
	}
	// The handler runs on whichever goroutine posts while no other is
	// handling: a segment's (as its call ends), the writer's, or this one,
	// which starts the first segments and then only waits for the end.
	// Its locals are read here only once ended is closed, after which no
	// event comes (nothing is in flight) and none would be handled.
	ended := make(chan struct{})
	over := false
	s.events.handle = func(ev event) {
		if over {
			return
		}
		switch ev.kind {
		case runStarts:
			for rep := range n {
				s.ready(s.st.Done, rep)
			}
		case segmentsFinished:
			s.calls--
			s.remote = s.remote || ev.encoded
			for _, d := range ev.segs {
				s.inFlight--
				switch {
				case d.err != nil:
					segFailures = append(segFailures, d)
					segmentFirst = segmentFirst || failed == nil
					fail(d.err)
				case failed == nil:
					s.segTime += time.Duration(d.out.End - d.out.Start)
					s.segN++
					if err := s.finished(d); err != nil {
						fail(err)
					}
				}
			}
		case roundWritten:
			s.writing--
			switch {
			case ev.err != nil:
				fail(ev.err)
			case failed == nil:
				s.written++
				s.release(s.written + 2)
				s.drop(s.written)
			default:
				// On disk though the run stops: what -resume starts
				// from, which the run's error may advise on.
				s.written++
			}
		}
		if failed != nil {
			// Segments not yet in a call never start.
			s.inFlight -= len(s.pending)
			s.pending = nil
		} else {
			s.dispatch()
		}
		done := s.st.Done >= s.cfg.Rounds && s.writing == 0
		stopped := failed != nil && s.inFlight == 0 && s.writing == 0
		if done || stopped {
			over = true
			close(ended)
		}
	}
	s.events.post(event{kind: runStarts})
	<-ended
	gerr := g.Wait()
	if err := s.packs.Wait(); gerr == nil {
		gerr = err
	}
	if failed == nil {
		if gerr == nil {
			// A session that ran no round (resumed at its end) drops
			// what its checkpoint's predecessor left too.
			s.drop(s.written)
		}
		return gerr
	}
	// The writer's failure (a full disk) or a lost lease cancels the
	// segments in flight, whose errors then carry it as their cause: report
	// it as it is, not as a call that failed.
	if !segmentFirst {
		return failed
	}
	// A segment's failure cancels the others: report the group's first,
	// with its round.
	for _, d := range segFailures {
		if d.err == failed || d.err == gerr {
			d = causeOf(d, segFailures)
			var damaged *DamagedStateError
			if errors.As(d.err, &damaged) {
				return fmt.Errorf("remd: %s: %w; %s", d.where(), d.err, s.afterDamage(damaged.Key))
			}
			return fmt.Errorf("remd: %s: %w", d.where(), d.err)
		}
	}
	return failed
}

// causeOf is the failure among all that d's error carries as its cause, or
// d. A segment cancelled by another's failure fails with that failure
// wrapped in its own call's error, and may reach the scheduler, or the
// group, first: the run's error then named the cancelled segment's round
// and call ("remd: round 13: pool: call remd.segment#6: pool: call
// remd.segment#4: remd: replica 2 round 12: …", one run in seven under
// -race), not the one that failed.
func causeOf(d segmentDone, all []segmentDone) segmentDone {
	for _, e := range all {
		if e.err != d.err && errors.Is(d.err, e.err) {
			return causeOf(e, all)
		}
	}
	return d
}

// afterDamage says what a run stopped by the damaged state under key can
// do, which depends on whether its last checkpoint continues from that
// state.
func (s *scheduler) afterDamage(key string) string {
	if s.out == nil {
		return "this run keeps no checkpoint (no output folder): run it again"
	}
	r, ok := keyRound(key)
	if !ok {
		return "restore the store, or start the run again without -resume"
	}
	return damageAdvice(s.cfg.Out, s.written, key, r)
}

// damageAdvice is what to do about the damaged state under key, of round
// r, in a run whose last checkpoint in dir is of round checkpointed (−1:
// none). A checkpoint of round c continues from the states of round c,
// and once it is on disk the states of the rounds before are dropped: the
// store keeps one copy of each state a checkpoint needs, so a damaged one
// can only be put back, not recomputed.
func damageAdvice(dir string, checkpointed int, key string, r int) string {
	switch {
	case checkpointed < 0:
		return fmt.Sprintf("the run in %s has no checkpoint yet: start it again (without -resume)", dir)
	case r > checkpointed:
		return fmt.Sprintf("its checkpoint in %s (after round %d) does not need this state: -resume redoes the rounds after it and stores the state again", dir, checkpointed)
	}
	return fmt.Sprintf("its checkpoint in %s (after round %d) continues from this state, and the store keeps no older copy (the states of earlier rounds are dropped once a round is checkpointed): "+
		"put back a good copy of %s (from a backup of the store) and -resume, or start the run again without -resume", dir, checkpointed, key)
}

// ready starts replica rep's segment of round r, or has it wait for the
// checkpoint of round r−2.
func (s *scheduler) ready(r, rep int) {
	if r >= s.cfg.Rounds {
		return
	}
	if r-2 > s.written {
		b := s.book(r)
		b.waiting = append(b.waiting, rep)
		return
	}
	s.launch(r, rep)
}

// release starts the segments of round r that waited for a checkpoint.
func (s *scheduler) release(r int) {
	b := s.books[r]
	if b == nil {
		return
	}
	w := b.waiting
	b.waiting = nil
	for _, rep := range w {
		s.launch(r, rep)
	}
}

func (s *scheduler) launch(r, rep int) {
	cfg, st := s.cfg, s.st
	b := s.books[r]
	in := SegmentIn{
		Engine: cfg.Engine, Seed: cfg.Seed, Replica: rep, Round: r, Steps: cfg.Steps,
		T: cfg.Temperatures[b.slot[rep]], Coords: s.coords,
		Storage: cfg.Storage, URL: s.url,
	}
	prev := s.books[r-1]
	if r == st.Done {
		in.PrevT = st.PrevT[rep]
	} else {
		in.PrevT = cfg.Temperatures[prev.slot[rep]]
	}
	if cfg.Storage == Payload {
		switch {
		case r == 0:
		case r == st.Done:
			in.State = &st.States[rep]
		default:
			in.State = prev.outs[rep].State
		}
	} else {
		if r > 0 {
			in.InKey = stateKey(st.RunID, r-1, rep)
		}
		in.OutKey = stateKey(st.RunID, r, rep)
		in.Session = s.session
	}
	s.inFlight++
	s.pending = append(s.pending, in)
}

// Every call costs a pool whose calls leave the process a round trip: the
// driver wakes for the result and writes the next call, on the cores the
// workers share with it in a cluster job (process://, slurm://), about
// 0.2 ms of its CPU and a context switch or two on a worker's core; a cloud
// function's invocation costs milliseconds. Segments of a few milliseconds
// (lj38's 1 000 steps take 5 ms) then lose 3–5 % of two cores to it. A segment depends only on its
// replica's last one and an exchange, so segments ready at the same time
// can run one after another in one call: the scheduler packs them into calls
// of about packTarget, as long as every slot still has a call running and
// one waiting, and the run's results do not change.
//
// A pack gets a backup attempt only once it has run packFloor (or the
// pool's k times the packs' median, if longer): twice its intended length,
// as a single segment's backup waits about twice the time nine in ten
// segments take (pool.WithBackups derives that floor, but caps it at 20 ms,
// which for packs would back up every one that a host's hiccup holds up
// by half its length: on a machine whose cores the workers fill, each such
// backup takes a pack's worth of time from the others).
const (
	packTarget = 20 * time.Millisecond
	packFloor  = 2 * packTarget
	maxPack    = 8
)

// packSize is how many segments the next call runs (SegmentsPerCall, or
// automatically): one until the calls are seen to leave the process and
// the segments to be short, and only while the pool has slots for at most
// a quarter of the replicas' calls (a cloud function pool's thousand slots
// runs every segment at once, packed or not).
func (s *scheduler) packSize(limit int) int {
	if s.cfg.SegmentsPerCall > 0 {
		return s.cfg.SegmentsPerCall
	}
	if !s.remote || limit <= 0 || s.segN == 0 {
		return 1
	}
	mean := s.segTime / time.Duration(s.segN)
	k := min(int(packTarget/max(mean, 1)), len(s.cfg.Temperatures)/(4*limit), maxPack)
	return max(k, 1)
}

// dispatch starts the pending segments: one call each, or, packing, calls
// of packSize while fewer than two per slot are in flight (one running,
// one waiting beside it), so that the segments that become ready meanwhile
// join the next pack rather than waiting in the pool one by one.
func (s *scheduler) dispatch() {
	limit := s.p.Limit()
	k := s.packSize(limit)
	for len(s.pending) > 0 && (k == 1 || limit <= 0 || s.calls < 2*limit) {
		m := min(k, len(s.pending))
		if m > s.packed && m > 1 {
			s.packed = m
			s.cfg.Logger.Info("remd: packing short segments into calls", "segments_per_call", m, "segment_ms", float64(s.segTime/time.Duration(max(s.segN, 1)))/1e6)
		}
		s.start(slices.Clone(s.pending[:m]))
		// Shifted rather than resliced: the slots left behind would keep
		// the states of started segments alive.
		s.pending = slices.Delete(s.pending, 0, m)
	}
}

// start runs ins as one call. Its segments are booked on the goroutine
// that finished the call (see trampoline), or after the event being handled
// now when the call finished before OnDone, or inside Go.
func (s *scheduler) start(ins []SegmentIn) {
	s.calls++
	done := func(outs []SegmentOut, err error, st pool.CallStats) {
		ds := make([]segmentDone, len(ins))
		if err == nil && len(outs) != len(ins) {
			err = fmt.Errorf("remd: a call of %d segments returned %d results", len(ins), len(outs))
		}
		first, last := ins[0].Round, ins[0].Round
		for _, in := range ins {
			first, last = min(first, in.Round), max(last, in.Round)
		}
		for i, in := range ins {
			ds[i] = segmentDone{round: in.Round, rep: in.Replica, err: err, first: first, last: last}
			if err == nil {
				ds[i].out = outs[i]
			}
		}
		s.events.post(event{kind: segmentsFinished, segs: ds, encoded: st.BytesIn > 0})
	}
	if len(ins) > 1 {
		fut := segments.Go(s.packs, ins)
		fut.OnDone(func(outs []SegmentOut, err error) { done(outs, err, fut.Stats()) })
		return
	}
	var fut *pool.Future[SegmentOut]
	if s.cfg.goSegment != nil {
		fut = s.cfg.goSegment(s.g, ins[0])
	} else {
		fut = segment.Go(s.g, ins[0])
	}
	fut.OnDone(func(out SegmentOut, err error) { done([]SegmentOut{out}, err, fut.Stats()) })
}

// finished books a segment that ended well: it decides the exchanges it
// completes, starts the segments they free, and completes rounds in order.
func (s *scheduler) finished(d segmentDone) error {
	cfg := s.cfg
	n := len(cfg.Temperatures)
	b := s.books[d.round]
	b.outs[d.rep] = &d.out
	b.left--
	next := s.book(d.round + 1)
	if cfg.Exchange == SwapAll {
		if b.left == 0 {
			perm := slices.Clone(b.perm)
			u := make([]float64, n)
			for k, rep := range perm {
				u[k] = b.outs[rep].Potential
			}
			b.exch = s.ex.round(d.round, perm, u, exchangeRNG(cfg.Seed, d.round))
			for k, rep := range perm {
				next.place(k, rep)
			}
			for rep := range n {
				s.ready(d.round+1, rep)
			}
		}
	} else {
		k := b.slot[d.rep]
		idx, i, j, ok := neighborPair(d.round, k, n)
		switch {
		case !ok:
			next.place(k, d.rep)
			s.ready(d.round+1, d.rep)
		case b.perm[i] >= 0 && b.perm[j] >= 0 && b.outs[b.perm[i]] != nil && b.outs[b.perm[j]] != nil:
			// (A partner not placed yet is still in its previous round.)
			ri, rj := b.perm[i], b.perm[j]
			e := s.ex.attempt(d.round, i, j, ri, rj, b.outs[ri].Potential, b.outs[rj].Potential, b.draws[idx])
			b.exch[idx] = e
			if e.Accepted {
				ri, rj = rj, ri
			}
			next.place(i, ri)
			next.place(j, rj)
			s.ready(d.round+1, ri)
			s.ready(d.round+1, rj)
		}
	}
	for s.st.Done < cfg.Rounds && s.books[s.st.Done].left == 0 {
		if err := s.complete(); err != nil {
			return err
		}
	}
	return nil
}

// complete books round st.Done, whose segments and exchanges are all in: it
// updates the run state, hands the round to the writer and tells the
// caller.
func (s *scheduler) complete() error {
	cfg, st := s.cfg, s.st
	r := st.Done
	b := s.books[r]
	next := s.books[r+1]
	if err := s.ses.lease.lost(); err != nil {
		return err
	}
	n := len(cfg.Temperatures)
	rr := RoundResult{Round: r, Replica: slices.Clone(b.perm), Potential: make([]float64, n), Exchanges: b.exch}
	if s.coords > 0 {
		rr.X = make([][]float64, n)
	}
	for k, rep := range b.perm {
		rr.Potential[k] = b.outs[rep].Potential
		if s.coords > 0 {
			rr.X[k] = b.outs[rep].X
		}
	}
	var cpu float64
	first, last := int64(math.MaxInt64), int64(0)
	for rep, o := range b.outs {
		cpu += o.CPUSeconds
		st.BusySeconds += float64(o.End-o.Start) / 1e9
		first, last = min(first, o.Start), max(last, o.End)
		st.PrevT[rep] = cfg.Temperatures[b.slot[rep]]
		if cfg.Storage == Payload {
			st.States[rep] = *o.State
		}
	}
	// The gap between rounds the driver leaves: none once a round starts
	// before the one before it ends.
	overhead := -1.0
	if s.lastEnd != 0 {
		overhead = max(float64(first-s.lastEnd)/1e3, 0)
		st.OverheadSum += overhead
		st.OverheadN++
	}
	s.lastEnd = max(s.lastEnd, last)

	st.trips(r, rr.Replica)
	for _, x := range rr.Exchanges {
		if x.J == x.I+1 {
			st.Attempts[x.I]++
			if x.Accepted {
				st.Accepted[x.I]++
			}
		}
	}
	copy(st.Perm, next.perm)
	for k, rep := range st.Perm {
		st.TempOf[rep] = k
	}
	st.Done = r + 1
	st.EngineSeconds += cpu
	now := time.Now()
	st.WallSeconds = s.wall0 + now.Sub(s.sessionStart).Seconds()
	wall := now.Sub(s.lastRoundAt).Seconds()
	s.lastRoundAt = now
	ps := s.p.Stats()
	st.Calls = s.calls0 + ps.Calls - s.stats0.Calls
	st.Retries = s.retries0 + ps.Retries - s.stats0.Retries
	st.Backups = s.backups0 + ps.Backups - s.stats0.Backups
	// Round r−1's book is done with: every segment of round r has started.
	delete(s.books, r-1)
	if s.out != nil {
		// This send runs on whatever goroutine handles the scheduler's
		// events, maybe a pool's that reads its workers' results, or the
		// writer's own; it never waits. A segment of round r starts only
		// once round r−2 is reported written, so at most two rounds, this
		// one included, are handed to the writer and not yet reported, and
		// s.jobs holds four. (Were it full, the writer would still empty it
		// without waiting for the scheduler: it posts its reports.)
		s.writing++
		s.jobs <- roundJob{rr: rr, snap: st.snapshot(), wall: wall, cpu: cpu, overhead: overhead}
	} else {
		s.written = r
		s.release(r + 2)
		s.drop(r)
	}
	if cfg.OnRound != nil {
		cfg.OnRound(rr)
	}
	if cfg.Progress != nil {
		cfg.Progress(st.Done, cfg.Rounds)
	}
	return nil
}

// writer appends the rounds to the output files and checkpoints them, in
// order, off the scheduler's goroutine: disk syncs never stall the pool.
func (s *scheduler) writer() {
	var ckpt checkpointWriter
	var failed error
	for j := range s.jobs {
		if failed != nil {
			// Files a round could not be added to take no later round.
			s.events.post(event{kind: roundWritten, err: failed})
			continue
		}
		err := s.out.round(s.cfg, &j.rr, j.wall, j.cpu, j.overhead)
		if err == nil {
			j.snap.Offsets = s.out.offsets()
			j.snap.Sums = s.out.sums()
			err = ckpt.save(s.out.dir, j.snap, s.cfg.Durable)
		}
		if err == nil {
			err = s.out.commit(s.cfg.Durable)
		}
		failed = err
		s.events.post(event{kind: roundWritten, err: err})
	}
}

// drops is what the scheduler tells its dropper: the rounds whose states
// may go. It coalesces: a dropper that falls behind (a slow store) deletes
// every round it missed in its next request, and one that failed retries.
type drops struct {
	mu   sync.Mutex
	upTo int           // the states of rounds below upTo may go
	wake chan struct{} // capacity 1: upTo grew
	stop chan struct{} // closed when the run ends: drop what is left, then return
	done chan struct{} // closed by the dropper on return
}

// maxDropRounds is how far back a dropper reaches: a session's first drop
// deletes the states of up to maxDropRounds rounds before its checkpoint's,
// which a run killed while its dropper was behind left; a failing store's
// dropper retries that far back and leaves older states in the store.
const maxDropRounds = 16

// sweepRounds is how many rounds before the last checkpoint a run's last
// drop deletes again: a losing attempt that stores late lags its round by
// a few rounds at most, and a long run's sweep stays one request or two.
const sweepRounds = 64

// dropTimeout bounds one drop request. Drops outlive the run's context, so
// that a run stopped by an error or a ^C still drops what its checkpoints
// allow, but not a store that does not answer.
const dropTimeout = 20 * time.Second

// drop tells the dropper that round c's checkpoint is on disk (written,
// without an output folder): no checkpoint can name the states of rounds
// before c any more. It never blocks.
func (s *scheduler) drop(c int) {
	d := s.drops
	if d == nil {
		return
	}
	d.mu.Lock()
	d.upTo = max(d.upTo, c)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// dropper deletes the states of rounds lo … upTo−1, every replica's in one
// removeMany, each time upTo grows, and once more when the run ends. lo
// starts maxDropRounds before the session's first round. A failed drop
// leaves garbage, not a wrong result: it is logged and retried with the
// next round's.
func (s *scheduler) dropper(ctx context.Context, d *drops, lo int) {
	defer close(d.done)
	runID, n := s.st.RunID, len(s.cfg.Temperatures)
	first := lo
	failing := false
	for stop := false; !stop; {
		select {
		case <-d.wake:
		case <-d.stop:
			stop = true
		}
		d.mu.Lock()
		hi := d.upTo
		d.mu.Unlock()
		lo = max(lo, hi-maxDropRounds)
		if stop {
			// A losing attempt (a straggler whose backup won, or one
			// cancelled when its worker was lost) may have stored its state
			// after its round was dropped: its worker had not yet read the
			// cancel when the function ended. The run's last drop sweeps the
			// recent rounds again, so such a late state is not left behind.
			lo = max(first, hi-sweepRounds)
		}
		if hi <= lo {
			continue
		}
		if s.ses.lease.lost() != nil {
			// The states are another process's now.
			return
		}
		keys := make([]string, 0, (hi-lo)*n)
		for r := lo; r < hi; r++ {
			for rep := range n {
				keys = append(keys, stateKey(runID, r, rep))
			}
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dropTimeout)
		err := s.ses.store.removeMany(rctx, keys)
		cancel()
		if err != nil {
			if !failing {
				s.cfg.Logger.Warn("remd: old states not dropped; retrying with the next round's", "rounds", fmt.Sprintf("%d–%d", lo, hi-1), "err", err)
			}
			failing = true
			continue
		}
		failing = false
		lo = hi
	}
}
