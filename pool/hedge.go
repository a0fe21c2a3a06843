package pool

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/pool/driver"
)

// A FuncOption configures a function when it is registered.
type FuncOption struct{ apply func(*funcSettings) }

type funcSettings struct{ idempotent bool }

// Idempotent marks a function whose calls may run more than once, at the same
// time, with the same input and the same effect (deterministic computations,
// writes of the same data to the same key). Only such functions get backup
// attempts (WithBackups).
func Idempotent() FuncOption { return FuncOption{func(s *funcSettings) { s.idempotent = true }} }

type backups struct {
	k     float64
	floor time.Duration
}

// WithBackups turns on speculative backup attempts ("hedged calls") for
// functions registered as Idempotent; others never get one. Once a call of
// a Map, Stream or Group has run longer than k times the median run time of
// the calls already finished in that Map, Stream or Group (at least three),
// and longer than floor, the pool starts a second attempt of the same input
// (the threshold grows once the pool's recent backups lose more often than
// they win: on a machine where every call is slow alike, backups only waste it).
// The backup starts at once, in the slot of the attempt it backs up: a
// call and its backup hold one slot between them until both have ended,
// so while a straggler runs on beside its backup the pool may run one call over
// its limit (a backup waiting for a slot of its own would wait behind every
// call not yet started). The first attempt to succeed gives the call's
// result, and the other is cancelled, which frees its worker. A call gets at
// most one backup, and at most half the pool's limit (at least one) backups
// run at once. Stats counts them (Backups, BackupWins; not in Retries,
// which counts attempts after a failure) and CallStats says which attempt
// won.
//
// Calls that run in process (local:// without encoding) get no backups:
// their inputs share memory with the caller, which a slower attempt left
// running would still be reading while the caller goes on.
//
// k = 0 gives the default, k = 1.5; any other k below 1 turns backups off.
// floor = 0 derives the floor from the same calls' run times: twice the
// time within which 9 in 10 of them ended, at least 1 ms and at most 20 ms.
// A fixed floor suits no call length: 20 ms, the old default, let a
// straggler among calls of a few milliseconds (remd's segments) hold its
// slot for five of them before its backup started, while the spread of
// normal run times, which is what a floor guards against, scales with the
// calls. A straggler costs its Map about the threshold plus one run time
// when it is among the last calls, so k stays low; a machine where all
// calls slow down alike raises the threshold (above). Backups suit calls
// whose time varies because of where they run (a slow host, a noisy
// neighbour, a cold start), not because of their input. A single Call is
// never backed up: it has nothing to be compared with.
func WithBackups(k float64, floor time.Duration) Option {
	if k == 0 {
		k = 1.5
	}
	return Option{func(s *settings) { s.backups = backups{k: k, floor: floor} }}
}

// The derived floor (WithBackups with floor 0) is floorSpread times the
// run time within which 9 in 10 recent calls ended, within [minFloor, maxFloor].
const (
	floorSpread = 2
	minFloor    = time.Millisecond
	maxFloor    = 20 * time.Millisecond
)

// errLostRace is the cause with which the slower attempt of a backed-up call
// is cancelled.
var errLostRace = errors.New("pool: another attempt of this call finished first")

// hedger watches the calls of one Map, Stream or Group and tells those that
// run too long to start a backup.
type hedger struct {
	k         float64
	floor     time.Duration // 0: derived from the run times (WithBackups)
	maxActive int
	stats     *counters // the pool's: how its backups fared

	mu      sync.Mutex
	recent  [64]time.Duration // run times of the last successful calls
	n       int               // how many were recorded in all
	live    map[*hedgeCall]struct{}
	ticking bool
	active  int           // backups waiting for a slot or running
	median  time.Duration // of recent, when the threshold was last found
	wake    chan struct{} // the watcher looks again (a backup ended)
}

// hedgeCall is one call under watch.
type hedgeCall struct {
	start atomic.Int64  // when its latest attempt started (unix ns); 0 before
	slow  chan struct{} // closed when the call should get a backup
	fired bool          // under hedger.mu
}

// newHedger returns the hedger for a scope of calls of f on p, or nil when
// they get no backups.
func newHedger(p *Pool, idempotent bool) *hedger {
	b := p.set.backups
	if b.k < 1 || !idempotent || p.core.direct {
		return nil
	}
	return &hedger{k: b.k, floor: b.floor, maxActive: max(1, p.Limit()/2), live: map[*hedgeCall]struct{}{},
		stats: &p.core.stats, wake: make(chan struct{}, 1)}
}

// add puts a call under watch.
func (h *hedger) add() *hedgeCall {
	c := &hedgeCall{slow: make(chan struct{})}
	h.mu.Lock()
	h.live[c] = struct{}{}
	if !h.ticking {
		h.ticking = true
		go h.watch()
	}
	h.mu.Unlock()
	return c
}

// kick makes the watcher look at the calls again.
func (h *hedger) kick() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// done takes c off watch; ran is its run time when it succeeded, else 0.
func (h *hedger) done(c *hedgeCall, ran time.Duration) {
	h.mu.Lock()
	delete(h.live, c)
	if ran > 0 {
		h.recent[h.n%len(h.recent)] = ran
		h.n++
	}
	h.mu.Unlock()
}

// backupEnded frees a backup's place among those that may run at once.
func (h *hedger) backupEnded() {
	h.mu.Lock()
	h.active--
	h.mu.Unlock()
	h.kick()
}

// thresholdLocked is how long a call may run before it gets a backup, or
// false while too few calls have finished to say; h.mu is held.
func (h *hedger) thresholdLocked() (time.Duration, bool) {
	if h.n < 3 {
		return 0, false
	}
	k := min(h.n, len(h.recent))
	runs := slices.Clone(h.recent[:k])
	slices.Sort(runs)
	floor := h.floor
	if floor == 0 {
		floor = min(max(floorSpread*runs[k*9/10], minFloor), maxFloor)
	}
	h.median = runs[k/2]
	// Backups that lose mean the calls are not straggling but all slow
	// alike (a loaded machine): once the pool's recent backups lose more
	// often than they win, the threshold grows by that ratio.
	won, lost := h.stats.backupRecord()
	return time.Duration(max(1, lost/(won+1)) * float64(max(time.Duration(h.k*float64(h.median)), floor))), true
}

// costly reports whether a backup that lost after running for ran wasted
// about a call's work, as backups of calls that are all slow alike do. One
// cancelled sooner, because the attempt it backed up was only a little slow
// and ended soon after, cost less than a call, and the threshold does not
// grow for it: on calls of a few milliseconds, where the spread of normal
// run times is close to the threshold, such near misses are common and
// cheap, and letting them raise the threshold made every straggler wait
// for it again.
func (h *hedger) costly(ran time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return ran >= h.median
}

// watch starts the backups of live calls as they become due, until none is
// left. It sleeps until the next call is due: the one that started first,
// or one starting later, due no sooner than a threshold from now.
func (h *hedger) watch() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		h.mu.Lock()
		if len(h.live) == 0 {
			h.ticking = false
			h.mu.Unlock()
			return
		}
		// Until three calls have ended, and while as many backups run as
		// may, only an ending call changes anything: look again soon.
		next := 5 * time.Millisecond
		if limit, ok := h.thresholdLocked(); ok && h.active < h.maxActive {
			next = limit
			now := time.Now().UnixNano()
			for c := range h.live {
				s := c.start.Load()
				if c.fired || s == 0 {
					continue
				}
				if ran := time.Duration(now - s); ran <= limit {
					next = min(next, limit-ran)
				} else if h.active < h.maxActive {
					c.fired = true
					h.active++
					close(c.slow)
				}
			}
		}
		h.mu.Unlock()
		t.Reset(max(next, 200*time.Microsecond))
		select {
		case <-t.C:
		case <-h.wake:
		}
	}
}

// attempt is the outcome of one chain of attempts of a call.
type attempt[Out any] struct {
	out    Out
	err    error
	st     CallStats
	backup bool
}

// hedged runs a call of an idempotent function under h: its attempts run in
// a goroutine of their own, and a second goroutine runs a backup when h says
// so; the first success wins and the other is cancelled. release frees the
// slot the call holds, once both attempts have ended.
func (f *Func[In, Out]) hedged(ctx context.Context, p *Pool, h *hedger, in In, req *driver.Request, st *CallStats, release func()) (Out, error) {
	hc := h.add()
	var num atomic.Int32 // attempts of both chains, for their numbers
	results := make(chan attempt[Out], 2)
	pctx, pcancel := context.WithCancelCause(ctx)
	defer pcancel(errLostRace)
	base := *st
	// The backup's request is copied now: the first chain writes
	// req.Attempt on every retry.
	var breq *driver.Request
	if req != nil {
		r := *req
		r.Backup = true
		r.OnStart(nil)
		breq = &r
	}
	// The call's slot is the backup's too (a backup that waited for a
	// slot of its own would wait behind every call not yet started, on a
	// pool whose slots the straggler's own worker keeps taking): it is
	// freed once both attempts have ended. The pool runs at most one call
	// over its limit per backup in flight (maxActive), and only while a
	// straggler, which may be stuck on a slow host, runs on.
	var holders atomic.Int32
	holders.Store(1)
	let := func() {
		if holders.Add(-1) == 0 {
			release()
		}
	}
	share := func() bool {
		for {
			n := holders.Load()
			if n == 0 {
				return false
			}
			if holders.CompareAndSwap(n, n+1) {
				return true
			}
		}
	}
	go func() {
		defer let()
		ast := base
		out, err := f.attempts(pctx, p, in, req, &ast, &num, func() { hc.start.Store(time.Now().UnixNano()) })
		results <- attempt[Out]{out: out, err: err, st: ast}
	}()
	var bstart atomic.Int64 // when the backup started running (unix ns)
	running, slow := 1, hc.slow
	backedUp := false
	var first *attempt[Out]
	for {
		select {
		case <-slow:
			slow = nil
			if !share() {
				// The first attempt ended as it was found slow: its
				// result is on its way, and the slot was freed.
				h.backupEnded()
				continue
			}
			running++
			backedUp = true
			bctx, bcancel := context.WithCancelCause(ctx)
			defer bcancel(errLostRace)
			p.core.stats.backups.Add(1)
			go func() {
				defer h.backupEnded()
				defer let()
				bst := base
				out, err := f.attempts(bctx, p, in, breq, &bst, &num, func() { bstart.Store(time.Now().UnixNano()) })
				results <- attempt[Out]{out: out, err: err, st: bst, backup: true}
			}()
			continue
		case r := <-results:
			running--
			if r.err != nil && running > 0 && ctx.Err() == nil {
				// The other attempt may still succeed.
				first = &r
				continue
			}
			if r.err != nil && first != nil {
				r = *first // report the first failure
			}
			var ran time.Duration
			if s := hc.start.Load(); r.err == nil && !r.backup && s != 0 {
				ran = time.Since(time.Unix(0, s))
			}
			h.done(hc, ran)
			if slow != nil {
				select {
				case <-slow:
					// Found slow as it ended, and no backup started: the
					// place taken for one is free again (kept, it stopped
					// every later backup of the hedger once maxActive were
					// lost so).
					h.backupEnded()
				default:
				}
			}
			switch {
			case r.backup && r.err == nil:
				p.core.stats.backupWins.Add(1)
				p.core.stats.backupOutcome(true)
			case backedUp && r.err == nil:
				if s := bstart.Load(); s != 0 && h.costly(time.Since(time.Unix(0, s))) {
					p.core.stats.backupOutcome(false)
				}
			}
			if running > 0 {
				// The other attempt is being cancelled; where the platform
				// cannot stop it, it runs on (and is billed) unseen unless
				// counted here.
				go func() {
					for range running {
						if a := <-results; a.st.Abandoned {
							p.core.stats.abandoned.Add(1)
						}
					}
				}()
			}
			*st = r.st
			st.Attempts = int(num.Load())
			st.Backup = r.backup
			if backedUp {
				// A backup whose goroutine had not yet numbered its
				// attempt when the first chain's result came is an
				// attempt all the same (Stats.Backups counted it).
				st.Backups = 1
				st.Attempts = max(st.Attempts, 2)
			}
			return r.out, r.err
		}
	}
}
