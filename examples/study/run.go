//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
)

// services are the storage servers of a study run and where they came from.
type services struct {
	storageURL, sharedURL   string
	storageFrom, sharedFrom string
	servers                 []*server
	storageTmp              string
}

func (s *services) stop() {
	for _, sv := range s.servers {
		sv.stop()
	}
	if s.storageTmp != "" {
		os.RemoveAll(s.storageTmp)
	}
}

// startServices finds or starts what the storage modes need: the flags'
// URLs, then the config's, then servers started here on loopback.
func (o *options) startServices(ctx context.Context, w io.Writer) (*services, error) {
	s := &services{storageURL: o.storageURL, sharedURL: o.sharedURL, storageFrom: "-storage-url", sharedFrom: "-shared-url"}
	if o.pcfg != nil {
		if s.storageURL == "" && o.pcfg.Storage != "" {
			s.storageURL, s.storageFrom = o.pcfg.Storage, o.config
		}
		if s.sharedURL == "" && o.pcfg.Shared != "" {
			s.sharedURL, s.sharedFrom = o.pcfg.Shared, o.config
		}
	}
	if slices.Contains(o.implList, "objectstore") && s.storageURL == "" {
		sv, u, err := startS3(ctx)
		if err == nil {
			s.servers = append(s.servers, sv)
			s.storageURL, s.storageFrom = u, "gofakes3 (S3-compatible, in memory) started on loopback"
		} else {
			dir, derr := os.MkdirTemp("", "burst-study-states-")
			if derr != nil {
				return nil, derr
			}
			s.storageTmp = dir
			s.storageURL, s.storageFrom = "file://"+dir, fmt.Sprintf("file:// (no S3-compatible server: %v)", err)
		}
	}
	if slices.Contains(o.implList, "shared") && s.sharedURL == "" {
		sv, u, err := startRedis(ctx)
		if err != nil {
			s.stop()
			return nil, fmt.Errorf("-impl shared needs a Redis: give -shared-url or install redis-server (internal/testenv/install.d/redis.sh): %w", err)
		}
		s.servers = append(s.servers, sv)
		s.sharedURL, s.sharedFrom = u, "redis-server started on loopback"
	}
	if s.storageURL != "" {
		fmt.Fprintf(w, "objectstore: %s\n", s.storageFrom)
	}
	if s.sharedURL != "" {
		fmt.Fprintf(w, "shared: %s\n", s.sharedFrom)
	}
	return s, nil
}

// row is one run: a line of results.csv.
type row struct {
	Experiment     int
	Implementation string // burst or workqueue
	Storage        string
	Replicas       int
	Rounds, Steps  int
	Run            int
	Wall           float64
	Engine         float64 // CPU seconds of the MD steps
	Cores          int
	Efficiency     float64 // Engine / (Wall × Cores)
	OverheadPerSeg float64 // (Wall × Cores − Engine) / Calls
	SegMean, SegSD float64 // function time per call
	Calls, Retries int64
	Backups        int64 // apart from Retries: attempts of slow segments, not after failures
	Exchanges      int
	Acceptance     float64
	RoundTrips     int
	Cost           map[string]float64 // provider → USD
	Dir            string
	Load           float64 // 1-minute load average at the end
}

func (r row) name() string {
	if r.Implementation == "workqueue" {
		return "workqueue"
	}
	return r.Storage
}

func (r row) line() string {
	return fmt.Sprintf("%-11s %4d replicas run %d: wall %7.2f s, engine %7.2f s, efficiency %.3f, overhead %.1f ms/segment, segment %.3f±%.3f s, acceptance %.3f, load %.2f",
		r.name(), r.Replicas, r.Run, r.Wall, r.Engine, r.Efficiency, 1000*r.OverheadPerSeg, r.SegMean, r.SegSD, r.Acceptance, r.Load)
}

// timeline is a run's calls as measured, for the projection.
type timeline struct {
	Replicas, Steps int
	Calls           []call // in call order
	EngineSeconds   float64
	Wall            float64
}

// call is one measured call; times are seconds from the run's first submit.
type call struct {
	ID                                  uint64
	Submitted, Started, Ended, Returned float64
	Cold                                bool
	BytesIn, BytesOut                   int
}

// costProviders are the providers every run is billed on.
var costProviders = []string{"aws", "gcp", "azure", "ibm"}

func (o *options) runOne(ctx context.Context, env *services, impl string, n, rep int, log *slog.Logger) (row, *timeline, error) {
	storage := impl
	if impl == "workqueue" {
		storage = "payload"
	}
	name := fmt.Sprintf("%s-%03d-run%d", impl, n, rep+1)
	dir := filepath.Join(o.out, "runs", name)
	if err := os.RemoveAll(dir); err != nil {
		return row{}, nil, err
	}
	temps, err := remd.Temperatures(remd.Geometric, 300, 400, n)
	if err != nil {
		return row{}, nil, err
	}
	opts, _ := json.Marshal(map[string]string{"pdb": o.pdb, "psf": o.psf, "par": o.par})
	cfg := remd.Config{
		System: "ww", Engine: engine.Spec{Name: "ww", Options: opts}, Temperatures: temps,
		Rounds: o.rounds, Steps: o.steps, Seed: o.seed, Storage: remd.Storage(storage),
		Out: dir, Logger: log,
		// The study reproduces the thesis's runs, which made one
		// function call per replica and round (and its cost model
		// prices calls): short segments stay unpacked. Its Work Queue
		// tasks stage the engine's files for such calls (wqTask).
		SegmentsPerCall: 1,
	}
	switch cfg.Storage {
	case remd.ObjectStore:
		cfg.StorageURL = env.storageURL
	case remd.Shared:
		cfg.SharedURL = env.sharedURL
	}

	var mu sync.Mutex
	var stats []pool.CallStats
	hook := pool.WithCallHook(func(s pool.CallStats) {
		mu.Lock()
		stats = append(stats, s)
		mu.Unlock()
	})
	var p *pool.Pool
	cores := o.workers
	switch {
	case impl == "workqueue":
		b, err := openWorkQueue(ctx, o.workers, []string{o.pdb, o.psf, o.par}, log)
		if err != nil {
			return row{}, nil, err
		}
		p = pool.New(b, hook)
		cfg.Backend = fmt.Sprintf("workqueue (%d work_queue_workers)", o.workers)
	case o.pcfg != nil:
		e, err := providers.Open(ctx, o.pcfg, hook)
		if err != nil {
			return row{}, nil, fmt.Errorf("-config %s: %w", o.config, err)
		}
		p = e.Pool
		defer e.Close()
		cores = p.Limit()
		cfg.Backend = o.config
	default:
		u := fmt.Sprintf("process://?workers=%d&per_worker=%d", o.workers, o.perWorker)
		if p, err = pool.Open(ctx, u, hook); err != nil {
			return row{}, nil, err
		}
		cfg.Backend = u
	}
	defer p.Close()

	if o.onRound != nil {
		cfg.Progress = func(done, total int) {
			o.onRound(fmt.Sprintf("%s, %d replicas, run %d: round %d of %d", impl, n, rep+1, done, total))
		}
	}
	res, err := remd.Run(ctx, p, cfg)
	if err != nil {
		return row{}, nil, err
	}
	s := res.Summary
	r := row{Experiment: o.exp, Implementation: "burst", Storage: storage, Replicas: n, Rounds: o.rounds, Steps: o.steps,
		Run: rep + 1, Wall: s.WallSeconds, Engine: s.EngineSeconds, Cores: cores, Calls: s.Calls, Retries: s.Retries, Backups: s.Backups,
		RoundTrips: s.RoundTrips, Dir: dir, Cost: map[string]float64{}, Load: loadAvg()}
	if impl == "workqueue" {
		r.Implementation = "workqueue"
	}
	r.Efficiency = r.Engine / (r.Wall * float64(cores))
	r.OverheadPerSeg = (r.Wall*float64(cores) - r.Engine) / float64(max(r.Calls, 1))
	var acc float64
	for i, a := range s.Accepted {
		r.Exchanges += a
		acc += s.Acceptance[i]
	}
	if len(s.Acceptance) > 0 {
		r.Acceptance = acc / float64(len(s.Acceptance))
	}

	sort.Slice(stats, func(i, j int) bool { return stats[i].ID < stats[j].ID })
	tl := &timeline{Replicas: n, Steps: o.steps, EngineSeconds: s.EngineSeconds, Wall: s.WallSeconds}
	var t0 time.Time
	for _, c := range stats {
		if t0.IsZero() || c.Submitted.Before(t0) {
			t0 = c.Submitted
		}
	}
	ds := make([]time.Duration, 0, len(stats))
	var sum, sq float64
	for _, c := range stats {
		d := c.Ended.Sub(c.Started)
		if c.Started.IsZero() || d < 0 {
			d = 0
		}
		ds = append(ds, d)
		sum += d.Seconds()
		sq += d.Seconds() * d.Seconds()
		tl.Calls = append(tl.Calls, call{ID: c.ID, Submitted: c.Submitted.Sub(t0).Seconds(), Started: c.Started.Sub(t0).Seconds(),
			Ended: c.Ended.Sub(t0).Seconds(), Returned: c.Returned.Sub(t0).Seconds(), Cold: c.ColdStart,
			BytesIn: c.BytesIn, BytesOut: c.BytesOut})
	}
	if k := float64(len(ds)); k > 0 {
		r.SegMean = sum / k
		r.SegSD = math.Sqrt(max(sq/k-r.SegMean*r.SegMean, 0))
	}
	for _, prov := range costProviders {
		rules, err := providers.Rules(prov)
		if err != nil {
			return row{}, nil, err
		}
		r.Cost[prov] = rules.Bill(ds, r.Retries+r.Backups, o.memoryMB, o.cpu).Dollars
	}
	return r, tl, nil
}

// loadAvg is the 1-minute load average (0 where /proc is not there).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}

// sameEnergies compares energies.csv of burst's payload run and Work
// Queue's at the first size both ran.
func sameEnergies(out string, rows []row) (bool, string) {
	for _, a := range rows {
		if a.Implementation != "burst" || a.Storage != "payload" {
			continue
		}
		for _, b := range rows {
			if b.Implementation == "workqueue" && b.Replicas == a.Replicas && b.Run == a.Run {
				x, err1 := os.ReadFile(filepath.Join(a.Dir, "energies.csv"))
				y, err2 := os.ReadFile(filepath.Join(b.Dir, "energies.csv"))
				if err1 != nil || err2 != nil {
					return false, fmt.Sprint(err1, err2)
				}
				return bytes.Equal(x, y), fmt.Sprintf("%d replicas, %d bytes, %s vs %s", a.Replicas, len(x), a.Dir, b.Dir)
			}
		}
	}
	return false, "no payload and workqueue run of the same size"
}
