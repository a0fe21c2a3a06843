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
//
// Each running call has a timer set to when it would become due; nothing
// else wakes. A watcher goroutine that slept until the next call was due
// woke about once per call, for calls that had ended meanwhile, and each
// wake-up of a driver thread takes a core from the functions' own work when
// the driver shares the cores with its workers (process://, slurm://): it
// cost remd about 1.5 % of its parallel efficiency on two cores.
type hedger struct {
	k         float64
	floor     time.Duration // 0: derived from the run times (WithBackups)
	maxActive int
	stats     *counters // the pool's: how its backups fared

	mu     sync.Mutex
	recent [64]time.Duration // run times of the last successful calls
	sorted [64]time.Duration // thresholdLocked's scratch: recent, sorted
	n      int               // how many were recorded in all
	live   map[*hedgeCall]struct{}
	due    []*hedgeCall  // found slow while maxActive backups ran, oldest first
	active int           // backups waiting for a slot or running
	median time.Duration // of recent, when the threshold was last found
	limit  time.Duration // the threshold the timers were set by; 0 until known
}

// hedgeCall is one call under watch; its fields are under hedger.mu.
type hedgeCall struct {
	start int64       // when its latest attempt started (unix ns); 0 before
	timer *time.Timer // fires when the call would be due
	fired bool        // it was told to start a backup
	slow  func()      // tells it, without hedger.mu held
}

// newHedger returns the hedger for a scope of calls of f on p, or nil when
// they get no backups.
func newHedger(p *Pool, idempotent bool) *hedger {
	b := p.set.backups
	if b.k < 1 || !idempotent || p.core.direct {
		return nil
	}
	return &hedger{k: b.k, floor: b.floor, maxActive: max(1, p.Limit()/2), live: map[*hedgeCall]struct{}{},
		stats: &p.core.stats}
}

// add puts a call under watch; slow is called, once at most, when the call
// should get a backup.
func (h *hedger) add(slow func()) *hedgeCall {
	c := &hedgeCall{slow: slow}
	h.mu.Lock()
	h.live[c] = struct{}{}
	h.mu.Unlock()
	return c
}

// started tells that an attempt of c began running: its clock starts over.
func (h *hedger) started(c *hedgeCall) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.live[c]; !ok || c.fired {
		return
	}
	c.start = time.Now().UnixNano()
	if h.limit > 0 {
		h.armLocked(c, h.limit)
	}
}

// armLocked sets c's timer to fire after d; h.mu is held.
func (h *hedger) armLocked(c *hedgeCall, d time.Duration) {
	if c.timer == nil {
		c.timer = time.AfterFunc(d, func() { h.check(c) })
		return
	}
	c.timer.Reset(d)
}

// check runs when c's timer fires: c gets a backup if it is due by the
// threshold now and a backup may start; if it must wait for one, it waits
// in h.due; if the threshold grew since the timer was set, the timer is set
// again.
func (h *hedger) check(c *hedgeCall) {
	h.mu.Lock()
	if _, ok := h.live[c]; !ok || c.fired || c.start == 0 || h.limit == 0 {
		h.mu.Unlock()
		return
	}
	if ran := time.Duration(time.Now().UnixNano() - c.start); ran < h.limit {
		h.armLocked(c, h.limit-ran)
		h.mu.Unlock()
		return
	}
	if h.active >= h.maxActive {
		if !slices.Contains(h.due, c) {
			h.due = append(h.due, c)
		}
		h.mu.Unlock()
		return
	}
	c.fired = true
	h.active++
	h.mu.Unlock()
	c.slow()
}

// done takes c off watch; ok says its first attempt's chain succeeded, so
// that its run time counts towards the threshold. The threshold follows the
// calls that ended: where it fell, the timers of the calls running are set
// by it.
func (h *hedger) done(c *hedgeCall, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ran time.Duration
	if ok && c.start != 0 {
		ran = time.Duration(time.Now().UnixNano() - c.start)
	}
	delete(h.live, c)
	if c.timer != nil {
		c.timer.Stop()
	}
	if i := slices.Index(h.due, c); i >= 0 {
		h.due = slices.Delete(h.due, i, i+1)
	}
	if ran > 0 {
		h.recent[h.n%len(h.recent)] = ran
		h.n++
	}
	limit, ok := h.thresholdLocked()
	if !ok {
		return
	}
	old := h.limit
	h.limit = limit
	// A fall of less than a tenth leaves the timers be (they fire a
	// little late): the median moves with every call, and setting every
	// running call's timer on each would cost a large pool dear.
	if old != 0 && limit >= old-old/10 {
		return
	}
	now := time.Now().UnixNano()
	for lc := range h.live {
		if lc.start != 0 && !lc.fired {
			h.armLocked(lc, max(0, limit-time.Duration(now-lc.start)))
		}
	}
}

// backupEnded frees a backup's place among those that may run at once; the
// call that has waited longest for one gets it.
func (h *hedger) backupEnded() {
	h.mu.Lock()
	h.active--
	var next *hedgeCall
	for len(h.due) > 0 && h.active < h.maxActive {
		c := h.due[0]
		h.due = h.due[1:]
		if _, ok := h.live[c]; ok && !c.fired {
			c.fired = true
			h.active++
			next = c
			break
		}
	}
	h.mu.Unlock()
	if next != nil {
		next.slow()
	}
}

// thresholdLocked is how long a call may run before it gets a backup, or
// false while too few calls have finished to say; h.mu is held.
func (h *hedger) thresholdLocked() (time.Duration, bool) {
	if h.n < 3 {
		return 0, false
	}
	k := min(h.n, len(h.recent))
	// Sorted in place in a scratch array: this runs as every call ends, and
	// a copy allocated each time is garbage the driver collects per call.
	runs := h.sorted[:k]
	copy(runs, h.recent[:k])
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

// attempt is the outcome of one chain of attempts of a call.
type attempt[Out any] struct {
	out    Out
	err    error
	st     CallStats
	backup bool
}

// hedged runs a call of an idempotent function under h: its first chain of
// attempts runs on the caller's goroutine, and a goroutine of its own runs a
// backup when h says so; the first success wins and the other is cancelled.
// A backup that wins cancels the first chain, which the Backend contract
// makes return promptly (Invoke returns when its ctx ends). A goroutine for
// the first chain as well cost a hand-over between goroutines on every
// call, which on a driver sharing its cores with its workers is a thread
// woken at the expense of a function's work. release frees the slot the
// call holds, once both attempts have ended.
func (f *Func[In, Out]) hedged(ctx context.Context, p *Pool, h *hedger, in In, req *driver.Request, st *CallStats, release func()) (Out, error) {
	hr := newHedgeRun(ctx, f, p, h, in, req, st, release)
	ast := hr.base
	out, err := f.attempts(hr.pctx, p, in, req, &ast, &hr.num, func() { h.started(hr.hc) })
	wait := hr.firstEnded(err)
	return hr.outcome(out, err, &ast, wait)
}

// hedgedAsync is hedged with no goroutine waiting for the first chain
// (startAsync); the outcome goes to done. Only when the first chain failed
// with a backup still running does a goroutine wait for the backup.
func (f *Func[In, Out]) hedgedAsync(ctx context.Context, p *Pool, h *hedger, in In, r *callRun, done func(Out, error)) {
	hr := newHedgeRun(ctx, f, p, h, in, r.req, &r.st, r.release)
	ast := new(CallStats)
	*ast = hr.base
	f.attemptsAsync(hr.pctx, p, in, r.req, ast, &hr.num, func() { h.started(hr.hc) }, func(out Out, err error) {
		if hr.firstEnded(err) {
			go func() { done(hr.outcome(out, err, ast, true)) }()
			return
		}
		done(hr.outcome(out, err, ast, false))
	})
}

// hedgeRun is one call under a hedger: its first chain of attempts, and the
// backup it may get.
type hedgeRun[In, Out any] struct {
	f       *Func[In, Out]
	p       *Pool
	h       *hedger
	ctx     context.Context
	pctx    context.Context // the first chain's
	pcancel context.CancelCauseFunc
	st      *CallStats // the call's
	base    CallStats  // what each chain's statistics start from
	num     atomic.Int32
	hc      *hedgeCall
	// holders: the call's slot is the backup's too (a backup that waited
	// for a slot of its own would wait behind every call not yet started,
	// on a pool whose slots the straggler's own worker keeps taking): it is
	// freed once both attempts have ended. The pool runs at most one call
	// over its limit per backup in flight (maxActive), and only while a
	// straggler, which may be stuck on a slow host, runs on.
	holders atomic.Int32
	release func()

	mu          sync.Mutex
	firstDone   bool              // the first chain returned
	backup      chan attempt[Out] // the backup's outcome, once one started
	bcancel     context.CancelCauseFunc
	backupFirst bool         // the backup ended before the first chain
	bstart      atomic.Int64 // when the backup started running (unix ns)
}

func newHedgeRun[In, Out any](ctx context.Context, f *Func[In, Out], p *Pool, h *hedger, in In, req *driver.Request, st *CallStats, release func()) *hedgeRun[In, Out] {
	hr := &hedgeRun[In, Out]{f: f, p: p, h: h, ctx: ctx, st: st, base: *st, release: release}
	hr.pctx, hr.pcancel = context.WithCancelCause(ctx)
	hr.holders.Store(1)
	// The backup's request is copied now: the first chain writes
	// req.Attempt on every retry.
	var breq *driver.Request
	if req != nil {
		r := *req
		r.Backup = true
		r.OnStart(nil)
		breq = &r
	}
	hr.hc = h.add(func() { hr.startBackup(in, breq) })
	return hr
}

// let gives up one hold on the call's slot.
func (hr *hedgeRun[In, Out]) let() {
	if hr.holders.Add(-1) == 0 {
		hr.release()
	}
}

// startBackup runs when h finds the first chain slow.
func (hr *hedgeRun[In, Out]) startBackup(in In, breq *driver.Request) {
	hr.mu.Lock()
	if hr.firstDone {
		// The first attempt ended as it was found slow: its result is
		// in, and the place taken for a backup is free again (kept, it
		// stopped every later backup of the hedger once maxActive were
		// lost so).
		hr.mu.Unlock()
		hr.h.backupEnded()
		return
	}
	// The first chain lets go of the slot only after it says it is done,
	// under mu: it holds it still.
	hr.holders.Add(1)
	var bctx context.Context
	bctx, hr.bcancel = context.WithCancelCause(hr.ctx)
	ch := make(chan attempt[Out], 1)
	hr.backup = ch
	hr.mu.Unlock()
	hr.p.core.stats.backups.Add(1)
	go func() {
		defer hr.h.backupEnded()
		defer hr.let()
		bst := hr.base
		out, err := hr.f.attempts(bctx, hr.p, in, breq, &bst, &hr.num, func() { hr.bstart.Store(time.Now().UnixNano()) })
		hr.mu.Lock()
		hr.backupFirst = !hr.firstDone
		hr.mu.Unlock()
		if err == nil {
			hr.pcancel(errLostRace)
		}
		ch <- attempt[Out]{out: out, err: err, st: bst, backup: true}
	}()
}

// firstEnded records that the first chain ended with err, and reports
// whether the call's outcome must wait for its backup: the first chain
// failed, and the backup may still succeed, or has (it cancelled this
// chain when it did).
func (hr *hedgeRun[In, Out]) firstEnded(err error) (wait bool) {
	hr.mu.Lock()
	hr.firstDone = true
	ch := hr.backup
	hr.mu.Unlock()
	hr.let()
	hr.h.done(hr.hc, err == nil)
	return ch != nil && err != nil && (hr.ctx.Err() == nil || errors.Is(context.Cause(hr.pctx), errLostRace))
}

// outcome is the call's result, given the first chain's (ast its
// statistics); with wait, it waits for the backup's.
func (hr *hedgeRun[In, Out]) outcome(out Out, err error, ast *CallStats, wait bool) (Out, error) {
	defer hr.pcancel(errLostRace)
	p := hr.p
	r := attempt[Out]{out: out, err: err, st: *ast}
	hr.mu.Lock()
	ch, cancelBackup := hr.backup, hr.bcancel
	hr.mu.Unlock()
	if ch != nil {
		defer cancelBackup(errLostRace)
		if wait {
			b := <-ch
			if r.st.Abandoned {
				p.core.stats.abandoned.Add(1)
			}
			hr.mu.Lock()
			bFirst := hr.backupFirst
			hr.mu.Unlock()
			if b.err == nil || bFirst {
				r = b // the winner, or the first failure
			}
		} else {
			// This chain's result stands; the backup is being cancelled.
			// Where the platform cannot stop it, it runs on (and is
			// billed) unseen unless counted here.
			go func() {
				if a := <-ch; a.st.Abandoned {
					p.core.stats.abandoned.Add(1)
				}
			}()
		}
		switch {
		case r.backup && r.err == nil:
			p.core.stats.backupWins.Add(1)
			p.core.stats.backupOutcome(true)
		case r.err == nil:
			if s := hr.bstart.Load(); s != 0 && hr.h.costly(time.Since(time.Unix(0, s))) {
				p.core.stats.backupOutcome(false)
			}
		}
	}
	st := hr.st
	*st = r.st
	st.Attempts = int(hr.num.Load())
	st.Backup = r.backup
	if ch != nil {
		// A backup whose goroutine had not yet numbered its attempt when
		// the first chain's result came is an attempt all the same
		// (Stats.Backups counted it).
		st.Backups = 1
		st.Attempts = max(st.Attempts, 2)
	}
	return r.out, r.err
}
