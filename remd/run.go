package remd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/engine"
)

// Config describes a replica-exchange run.
type Config struct {
	// System labels the run in its outputs; default Engine.Name.
	System string
	// Engine names the engine and its options; it travels in every call.
	Engine engine.Spec
	// Temperatures is the ladder, strictly increasing: replica exchange
	// index k means Temperatures[k]. See Temperatures and CheckTemperatures.
	Temperatures []float64
	// Rounds of Steps MD steps each. A resumed run may ask for more rounds
	// than the interrupted one did, to extend it.
	Rounds, Steps int
	// Exchange is the scheme (default Neighbors). SwapAttempts is the number
	// of attempts per round for SwapAll (default: one per replica).
	Exchange     Scheme
	SwapAttempts int
	// Seed determines every random number of the run.
	Seed uint64
	// Storage says where states live between segments (default Payload);
	// StorageURL is the cloudfs URL for ObjectStore, SharedURL the shared
	// URL for Shared. The workers must be able to reach them: mem:// only
	// works with an in-process pool.
	Storage    Storage
	StorageURL string
	SharedURL  string
	// Out is the directory for the output files and the checkpoint; empty
	// means no files (and no checkpoint).
	Out string
	// Resume continues from the checkpoint in Out, if there is one; without
	// one the run starts afresh.
	Resume bool
	// Durable syncs the files and the checkpoint to disk every round. The
	// checkpoint is replaced atomically either way, which is all a killed
	// run needs to resume; Durable also survives a crash of the machine, at
	// the price of a few disk syncs per round.
	Durable bool
	// MemoryLimit bounds the driver's memory in bytes: a run whose estimate
	// is larger is refused before it starts. Zero means the memory this
	// machine (or cgroup) has available when the run starts.
	MemoryLimit int64
	// NoBackups turns off the backup attempts a round starts for a segment
	// that runs far longer than the round's others (pool.WithBackups).
	NoBackups bool
	// SegmentsPerCall is how many replicas' segments one pool call runs,
	// one after another. Zero (the default) packs segments that are short
	// next to what a call costs: on a pool whose calls leave the process
	// (process://, slurm://, a cloud's functions) and that has fewer slots
	// than a quarter of the replicas, once the segments are seen to be
	// short, calls run about 20 ms of segments each (see packSize). One
	// runs every segment as a call of its own. The results are the same
	// either way. A number set here packs regardless of the segments'
	// length: keep SegmentsPerCall × a segment's time well under the
	// platform's timeout for one call (a cloud function's), which a pack
	// that runs past it meets on every retry.
	SegmentsPerCall int
	// Backend labels the pool in summary.json (for example its URL).
	Backend string
	// OnRound, if set, sees every round, in order, as soon as its
	// segments and exchanges are in: when the round is handed to the
	// writer, before its rows and checkpoint are on disk (the writer saves
	// them on another goroutine, so that disk syncs never stall the pool).
	// A round it has seen may therefore be missing from Out if the write
	// fails or the run is killed; a resume runs that round again and
	// OnRound sees it again. It runs on the goroutine that books the
	// round's last segment and starts the next ones, which may be the
	// pool's own (the one that finished that segment): a slow OnRound
	// holds up the run.
	OnRound func(RoundResult)
	// Progress, if set, is told after every round how many are done.
	Progress func(done, total int)
	// Logger receives progress notes; default slog.Default().
	Logger *slog.Logger

	// delta is the Metropolis exponent; tests replace it with wrong ones.
	delta deltaFunc
	// goSegment, if set, starts a segment in place of segment.Go; tests
	// replace it with one that returns only once the call has finished,
	// as a pool may.
	goSegment func(*pool.Group, SegmentIn) *pool.Future[SegmentOut]
}

// RoundResult is one round as the outputs record it.
type RoundResult struct {
	Round int
	// By temperature index, for the segment just run (before exchanges):
	Replica   []int       // the replica at temperature k
	Potential []float64   // its potential energy at the end of the segment
	X         [][]float64 // its leading coordinates, for systems of ≤ 3 coordinates
	Exchanges []Exchange
}

// Result is what Run returns.
type Result struct {
	Summary Summary
	// Final holds every replica's state after the last round, by replica.
	Final []engine.State
}

// SummaryFile is the file in Config.Out that holds the Summary.
const SummaryFile = "summary.json"

// Summary is summary.json. The fields after RoundTripsPerReplica describe
// timing and environment and differ between otherwise identical runs.
type Summary struct {
	System               string      `json:"system"`
	Engine               engine.Spec `json:"engine"`
	Replicas             int         `json:"replicas"`
	Temperatures         []float64   `json:"temperatures"`
	Rounds               int         `json:"rounds"`
	Steps                int         `json:"steps"`
	Seed                 uint64      `json:"seed"`
	Exchange             Scheme      `json:"exchange"`
	Acceptance           []float64   `json:"acceptance"`
	Attempts             []int       `json:"attempts"`
	Accepted             []int       `json:"accepted"`
	RoundTrips           int         `json:"round_trips"`
	RoundTripsPerReplica []int       `json:"round_trips_per_replica"`
	MeanRoundTripRounds  float64     `json:"mean_round_trip_rounds"`

	Backend            string  `json:"backend"`
	Storage            Storage `json:"storage"`
	WallSeconds        float64 `json:"wall_seconds"`
	EngineSeconds      float64 `json:"engine_seconds"`
	Cores              int     `json:"cores"`
	ParallelEfficiency float64 `json:"parallel_efficiency"`
	Occupancy          float64 `json:"occupancy"`
	DriverOverheadUS   float64 `json:"driver_overhead_us"`
	Calls              int64   `json:"calls"`
	Retries            int64   `json:"retries"` // attempts after a failed one
	Backups            int64   `json:"backups"` // backup attempts of slow segments (pool.WithBackups)
}

// TimingFields are the summary.json fields that describe timing and
// environment; everything else is identical for one seed on every backend
// and storage mode and across resumes.
var TimingFields = []string{"backend", "storage", "wall_seconds", "engine_seconds", "cores",
	"parallel_efficiency", "occupancy", "driver_overhead_us", "calls", "retries", "backups"}

func (c *Config) normalize() (engine.Engine, error) {
	if c.Engine.Name == "" {
		return nil, errors.New("remd: no engine (system) given")
	}
	e, err := engine.New(c.Engine)
	if err != nil {
		return nil, fmt.Errorf("remd: %w", err)
	}
	if c.System == "" {
		c.System = c.Engine.Name
	}
	if err := CheckTemperatures(c.Temperatures); err != nil {
		return nil, err
	}
	if c.Rounds < 1 {
		return nil, fmt.Errorf("remd: rounds = %d: need at least 1", c.Rounds)
	}
	if c.Steps < 1 {
		return nil, fmt.Errorf("remd: steps = %d: need at least 1", c.Steps)
	}
	if c.Exchange == "" {
		c.Exchange = Neighbors
	}
	if err := c.Exchange.check(); err != nil {
		return nil, err
	}
	if c.SwapAttempts == 0 {
		c.SwapAttempts = len(c.Temperatures)
	}
	if c.SwapAttempts < 0 {
		return nil, fmt.Errorf("remd: swap attempts = %d: need ≥ 0", c.SwapAttempts)
	}
	if c.SegmentsPerCall < 0 {
		return nil, fmt.Errorf("remd: segments per call = %d: need ≥ 1, or 0 to pack short segments automatically", c.SegmentsPerCall)
	}
	if c.Storage == "" {
		c.Storage = Payload
	}
	switch c.Storage {
	case Payload:
	case ObjectStore:
		if c.StorageURL == "" {
			return nil, errors.New("remd: storage objectstore needs a cloudfs URL (StorageURL, e.g. file:///tmp/remd-states or s3://bucket)")
		}
	case Shared:
		if c.SharedURL == "" {
			return nil, errors.New("remd: storage shared needs a shared URL (SharedURL, e.g. redis://127.0.0.1:6379/0 or mem://)")
		}
	default:
		return nil, fmt.Errorf("remd: storage %q: want one of %v", c.Storage, Storages)
	}
	if err := c.checkMemory(e.Dim()); err != nil {
		return nil, err
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.delta == nil {
		c.delta = metropolisDelta
	}
	return e, nil
}

func (c *Config) storeURL() string {
	switch c.Storage {
	case ObjectStore:
		return c.StorageURL
	case Shared:
		return c.SharedURL
	}
	return ""
}

// Run runs replica exchange on p: every round, each replica runs one segment
// at its current temperature as a pool call (short segments several to a
// call, see SegmentsPerCall), and neighbouring (or random) temperatures
// attempt exchanges as soon as their segments are in. With Out set it
// writes the output files and checkpoints after every round.
func Run(ctx context.Context, p *pool.Pool, cfg Config) (*Result, error) {
	e, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	n := len(cfg.Temperatures)
	coords := 0
	if e.Dim() <= 3 {
		coords = e.Dim()
	}
	beta := make([]float64, n)
	for k, t := range cfg.Temperatures {
		beta[k] = 1 / (e.Boltzmann() * t)
	}
	ex := &exchanger{scheme: cfg.Exchange, attempts: cfg.SwapAttempts, beta: beta, delta: cfg.delta}

	st, ses, err := start(ctx, &cfg, n, coords, e.Dim())
	if err != nil {
		return nil, err
	}
	defer ses.close()
	out := ses.out
	if st.Done > 0 {
		cfg.Logger.Info("remd: resuming", "dir", cfg.Out, "rounds_done", st.Done, "rounds", cfg.Rounds)
	}

	// A round waits for its slowest segment: a segment far slower than the
	// round's others (a slow host, a noisy neighbour) gets a backup attempt.
	rp := p
	if !cfg.NoBackups {
		rp = p.With(pool.WithBackups(0, 0))
	}
	sch := &scheduler{cfg: &cfg, st: st, out: out, ses: ses, ex: ex, p: rp, coords: coords, url: cfg.storeURL(),
		stats0: p.Stats(), sessionStart: time.Now(), wall0: st.WallSeconds, calls0: st.Calls, retries0: st.Retries, backups0: st.Backups}
	if err := sch.run(ctx); err != nil {
		return nil, err
	}

	res := &Result{Summary: st.summary(&cfg, p.Limit())}
	if cfg.Storage == Payload {
		res.Final = st.States
	} else {
		s := ses.store
		var err error
		res.Final = make([]engine.State, n)
		for rep := range res.Final {
			key := stateKey(st.RunID, st.Done-1, rep)
			if res.Final[rep], err = s.load(ctx, key); err != nil {
				if errors.Is(err, ErrDamagedState) && out != nil {
					return nil, fmt.Errorf("remd: final state of replica %d: %w; %s", rep, err, damageAdvice(cfg.Out, st.Done-1, key, st.Done-1))
				}
				return nil, fmt.Errorf("remd: final state: %w", err)
			}
		}
	}
	if out != nil {
		if err := writeJSONAtomic(cfg.Out, SummaryFile, res.Summary, true); err != nil {
			return nil, err
		}
	}
	ses.ok = true
	return res, nil
}

// session is what a run holds while it writes: its output directory's lock,
// its state store and lease, and its output files.
type session struct {
	lock  *dirLock
	store stateStore // nil for Payload
	lease *stateLease
	out   *outputs
	ok    bool // the run ended well: keep its files
}

func (s *session) close() {
	if s.ok {
		s.out.close()
	} else {
		s.out.abort()
	}
	s.lease.release()
	s.lock.unlock()
}

// start returns the run state to begin from: a checkpoint's when resuming,
// otherwise round 0 with replica k at temperature k. It checks and opens
// everything a run needs (the folder's lock, the checkpoint against the
// settings, the state store and its lease) before it writes anything, and a
// fresh run writes beside the previous one until its first checkpoint.
func start(ctx context.Context, cfg *Config, n, coords, dim int) (*runState, *session, error) {
	fp := fingerprintOf(cfg)
	ses := &session{}
	ok := false
	defer func() {
		if !ok {
			ses.close()
		}
	}()
	var st *runState
	if cfg.Out != "" {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, nil, fmt.Errorf("remd: output directory: %w", err)
		}
		lk, err := lockDir(cfg.Out)
		if err != nil {
			return nil, nil, err
		}
		ses.lock = lk
	}
	if cfg.Out != "" && cfg.Resume {
		s, err := loadCheckpoint(cfg.Out)
		switch {
		case err == nil:
			if err := s.Fingerprint.compatible(fp); err != nil {
				return nil, nil, err
			}
			if s.Done > cfg.Rounds {
				return nil, nil, fmt.Errorf("remd: resume: the checkpoint in %s has %d rounds done, more than the %d asked for", cfg.Out, s.Done, cfg.Rounds)
			}
			if err := s.check(filepath.Join(cfg.Out, checkpointFile), cfg, n, dim); err != nil {
				return nil, nil, err
			}
			st = s
		case errors.Is(err, errNoCheckpoint):
			cfg.Logger.Warn("remd: -resume: no checkpoint to resume from, so this run starts at round 0 (files of an earlier run there are kept as #name.N#)", "dir", cfg.Out)
		default:
			return nil, nil, err
		}
	}
	if st == nil {
		var id [8]byte
		if _, err := rand.Read(id[:]); err != nil {
			return nil, nil, err
		}
		st = &runState{
			Version:     checkpointVersion,
			Fingerprint: fp,
			RunID:       hex.EncodeToString(id[:]),
			Perm:        make([]int, n),
			TempOf:      make([]int, n),
			PrevT:       make([]float64, n),
			Attempts:    make([]int, max(n-1, 0)),
			Accepted:    make([]int, max(n-1, 0)),
			TripPhase:   make([]int, n),
			TripsOf:     make([]int, n),
			TripStart:   make([]int, n),
		}
		for k := range n {
			st.Perm[k], st.TempOf[k] = k, k
		}
		if cfg.Storage == Payload {
			st.States = make([]engine.State, n)
		}
	}
	// Open the store now: a wrong URL or a server that is down fails here,
	// not in the first round's calls.
	if url := cfg.storeURL(); url != "" {
		var err error
		if ses.store, err = openStore(ctx, cfg.Storage, url); err != nil {
			return nil, nil, err
		}
		if ses.lease, err = takeLease(ctx, ses.store, url, st.RunID); err != nil {
			return nil, nil, err
		}
	}
	if cfg.Out != "" {
		var err error
		if st.Done > 0 {
			ses.out, err = reopenOutputs(cfg.Out, coords, st.Offsets)
		} else {
			ses.out, err = createOutputs(cfg.Out, coords)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	ok = true
	return st, ses, nil
}
