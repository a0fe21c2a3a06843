//go:build linux

package main

import (
	"container/heap"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/burst-dev/burst/internal/atomicfile"
	"github.com/burst-dev/burst/providers"
)

// platform is what the projection knows about a provider's limits, each
// with where the number came from.
type platform struct {
	Name string
	// Concurrency: calls running at once (account/function cap); burst's
	// pool limit is set to it.
	Concurrency int
	// Latency: invocation overhead per call, request and response, s.
	Latency float64
	// ColdStart: extra time of a call that needs a new instance, s (the
	// engine's own start-up measured here is added).
	ColdStart float64
	// ScaleRate, ScaleBurst: new instances per second after the first
	// ScaleBurst (0: not limited).
	ScaleRate  float64
	ScaleBurst int
	// PayloadLimit: largest synchronous request or response, bytes.
	PayloadLimit int
	// Sources, by parameter.
	Sources map[string]string
}

// platforms are the providers' documented limits (docs/study.md lists
// them); "assumed" marks numbers no provider documents.
var platforms = []platform{
	{Name: "aws", Concurrency: 1000, Latency: 0.030, ColdStart: 0.25, ScaleRate: 100, ScaleBurst: 1000, PayloadLimit: 6 << 20,
		Sources: map[string]string{
			"concurrency": "default concurrent executions per account and region, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
			"latency":     "assumed (synchronous Invoke within a region; not documented)",
			"cold_start":  "assumed for a Go binary on provided.al2023 (not documented)",
			"scaling":     "1000 execution environments every 10 s per function, https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html",
			"payload":     "6 MB synchronous request and response, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
		}},
	{Name: "gcp", Concurrency: 100, Latency: 0.030, ColdStart: 0.5, PayloadLimit: 32 << 20,
		Sources: map[string]string{
			"concurrency": "default maximum instances 100, one request per instance, https://cloud.google.com/run/docs/configuring/max-instances",
			"latency":     "assumed (HTTPS within a region; not documented)",
			"cold_start":  "assumed for a container instance start (not documented)",
			"scaling":     "no documented rate limit on new instances",
			"payload":     "32 MiB HTTP/1 request, https://cloud.google.com/run/quotas",
		}},
	{Name: "azure", Concurrency: 100, Latency: 0.030, ColdStart: 1.0, ScaleRate: 1, ScaleBurst: 1, PayloadLimit: 100 << 20,
		Sources: map[string]string{
			"concurrency": "Consumption plan: at most 100 instances on Linux (200 on Windows), one CPU-bound call per instance, https://learn.microsoft.com/azure/azure-functions/event-driven-scaling",
			"latency":     "assumed (HTTPS within a region; not documented)",
			"cold_start":  "assumed for a custom handler on Consumption (not documented)",
			"scaling":     "HTTP triggers: a new instance at most once per second, https://learn.microsoft.com/azure/azure-functions/event-driven-scaling",
			"payload":     "100 MB HTTP request (maxRequestBodySize), https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook",
		}},
	{Name: "ibm", Concurrency: 250, Latency: 0.030, ColdStart: 1.0, PayloadLimit: 10 << 20,
		Sources: map[string]string{
			"concurrency": "max-scale raised from its default 10 to the 250 instances an app may have, https://cloud.ibm.com/docs/codeengine?topic=codeengine-limits",
			"latency":     "assumed (HTTPS within a region; not documented)",
			"cold_start":  "assumed for a Code Engine instance start (not documented)",
			"scaling":     "no documented rate limit on new instances",
			"payload":     "assumed 10 MB (not found in the documentation)",
		}},
}

// target is a run size to project.
type target struct {
	label                   string
	replicas, rounds, steps int
}

var targets = []target{
	{"exp 1", 72, 50, 100},
	{"exp 2", 12, 100, 10000},
	{"exp 2", 96, 100, 10000},
	{"exp 2", 192, 100, 10000},
	{"beyond", 1000, 100, 10000},
	{"beyond", 10000, 100, 10000},
}

// projection is one projected run.
type projection struct {
	Platform, From, Label   string
	Replicas, Rounds, Steps int
	Wall, MeanCall          float64
	Cost                    float64
	PeakInstances           int
	Spilled                 bool
	FunctionHours           float64 // the sweep's: billed function time
}

// callModel turns a measured timeline into call durations at another size:
// call j replays measured call j mod M, its engine part scaled by the
// ratio of steps, its non-engine part (state I/O, call handling) kept.
type callModel struct {
	engine  []float64 // per measured call, engine seconds
	rest    []float64 // per measured call, the rest of its function time
	steps   int
	gap     float64 // driver time between rounds, s
	coldAdd float64 // measured extra time of a worker's first call, s
	maxIn   int     // largest request or response, bytes
	maxOut  int
}

func newCallModel(tl *timeline) callModel {
	m := callModel{steps: tl.Steps}
	n := len(tl.Calls)
	if n == 0 {
		return m
	}
	var fn float64
	for _, c := range tl.Calls {
		fn += c.Ended - c.Started
	}
	// The engine's share of each call is its mean share; a call's own
	// variation (stragglers, a loaded core) stays in the replay.
	share := 1.0
	if fn > 0 {
		share = min(tl.EngineSeconds/fn, 1)
	}
	var cold, warm []float64
	for _, c := range tl.Calls {
		d := max(c.Ended-c.Started, 0)
		m.engine = append(m.engine, d*share)
		m.rest = append(m.rest, d*(1-share))
		if c.Cold {
			cold = append(cold, d)
		} else {
			warm = append(warm, d)
		}
		m.maxIn, m.maxOut = max(m.maxIn, c.BytesIn), max(m.maxOut, c.BytesOut)
	}
	cm, _ := meanSD(cold)
	wm, _ := meanSD(warm)
	if len(cold) > 0 && len(warm) > 0 {
		m.coldAdd = max(cm-wm, 0)
	}
	// Rounds: calls are numbered in order, a round's calls together.
	var gaps []float64
	r := tl.Replicas
	for k := r; k+r-1 < n; k += r {
		lastRet := 0.0
		for _, c := range tl.Calls[k-r : k] {
			lastRet = max(lastRet, c.Returned)
		}
		first := math.Inf(1)
		for _, c := range tl.Calls[k : k+r] {
			first = min(first, c.Submitted)
		}
		gaps = append(gaps, max(first-lastRet, 0))
	}
	m.gap, _ = meanSD(gaps)
	return m
}

func (m callModel) duration(j, steps int) float64 {
	if len(m.engine) == 0 {
		return 0
	}
	i := j % len(m.engine)
	return m.engine[i]*float64(steps)/float64(m.steps) + m.rest[i]
}

// simulate replays rounds × replicas calls on a platform: each round's
// calls are submitted at once; at most Concurrency run at a time; a call
// takes Latency + (ColdStart if it needs a new instance) + its duration; a
// new instance waits for the scaling rate; the next round starts a driver
// gap after the last call of the round returned. It returns the wall time,
// the billed durations and the most instances alive.
func simulate(p platform, replicas, rounds int, dur func(j int) float64, gap, coldAdd float64) (float64, []time.Duration, int) {
	c := max(p.Concurrency, 1)
	free := &floatHeap{} // end times of the calls holding a slot
	instances := 0
	tokens := float64(p.ScaleBurst)
	lastToken := 0.0
	var ds []time.Duration
	t := 0.0
	j := 0
	for range rounds {
		end := t
		for range replicas {
			start := t
			if free.Len() >= c {
				start = max(start, heap.Pop(free).(float64))
			}
			// Calls still running at start hold an instance each.
			// (Once there are as many instances as slots, one is always idle.)
			busy := 0
			if instances < c {
				for _, e := range *free {
					if e > start {
						busy++
					}
				}
			}
			extra := 0.0
			if busy >= instances {
				// A new instance, within the scaling rate.
				if p.ScaleRate > 0 {
					tokens = min(tokens+(start-lastToken)*p.ScaleRate, float64(max(p.ScaleBurst, 1)))
					lastToken = start
					if tokens < 1 {
						wait := (1 - tokens) / p.ScaleRate
						start += wait
						tokens = 1
						lastToken = start
					}
					tokens--
				}
				instances++
				extra = p.ColdStart + coldAdd
			}
			d := dur(j)
			j++
			ds = append(ds, time.Duration(d*float64(time.Second)))
			e := start + p.Latency + extra + d
			heap.Push(free, e)
			end = max(end, e)
		}
		t = end + gap
	}
	return t - gap, ds, instances
}

type floatHeap []float64

func (h floatHeap) Len() int           { return len(h) }
func (h floatHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h floatHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *floatHeap) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *floatHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// project replays the first measured timeline of each burst storage mode
// on every platform at every target size.
func (o *options) project(rows []row, tls []*timeline) []projection {
	var out []projection
	seen := map[string]bool{}
	for i, r := range rows {
		if r.Implementation != "burst" || seen[r.Storage] || len(tls[i].Calls) == 0 {
			continue
		}
		seen[r.Storage] = true
		m := newCallModel(tls[i])
		for _, p := range platforms {
			rules, _ := providers.Rules(p.Name)
			for _, tg := range targets {
				spill := m.maxIn > p.PayloadLimit || m.maxOut > p.PayloadLimit
				wall, ds, inst := simulate(p, tg.replicas, tg.rounds, func(j int) float64 { return m.duration(j, tg.steps) }, m.gap, m.coldAdd)
				var sum float64
				for _, d := range ds {
					sum += d.Seconds()
				}
				out = append(out, projection{Platform: p.Name, From: r.Storage, Label: tg.label, Replicas: tg.replicas,
					Rounds: tg.rounds, Steps: tg.steps, Wall: wall, MeanCall: sum / float64(max(len(ds), 1)),
					Cost: rules.Bill(ds, 0, o.memoryMB, o.cpu).Dollars, PeakInstances: inst, Spilled: spill})
			}
			// The study's whole sweep, for Table 20: replicas 12…192 one
			// after another, 100 rounds × 10 000 steps each.
			sw := projection{Platform: p.Name, From: r.Storage, Label: "exp 2 sweep", Rounds: studyExp2Rounds, Steps: studyExp2Steps}
			var calls int
			for n := 12; n <= 192; n += 12 {
				wall, ds, inst := simulate(p, n, studyExp2Rounds, func(j int) float64 { return m.duration(j, studyExp2Steps) }, m.gap, m.coldAdd)
				sw.Wall += wall
				sw.Cost += rules.Bill(ds, 0, o.memoryMB, o.cpu).Dollars
				sw.PeakInstances = max(sw.PeakInstances, inst)
				for _, d := range ds {
					sw.FunctionHours += d.Hours()
				}
				calls += len(ds)
			}
			sw.MeanCall = sw.FunctionHours * 3600 / float64(calls)
			out = append(out, sw)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out
}

func writeProjection(path string, ps []projection) error {
	return atomicfile.Write(path, 0o644, func(fh io.Writer) error {
		w := csv.NewWriter(fh)
		w.Write([]string{"kind", "platform", "from_storage", "label", "replicas", "rounds", "steps",
			"wall_seconds", "mean_call_seconds", "cost_usd", "instances", "payload_over_limit"})
		for _, p := range ps {
			w.Write([]string{"projected", p.Platform, p.From, p.Label, strconv.Itoa(p.Replicas), strconv.Itoa(p.Rounds),
				strconv.Itoa(p.Steps), f(p.Wall), f(p.MeanCall), f(p.Cost), strconv.Itoa(p.PeakInstances), strconv.FormatBool(p.Spilled)})
		}
		w.Flush()
		return w.Error()
	})
}

func platformSources() string {
	var rows [][]string
	for _, p := range platforms {
		scale := "none"
		if p.ScaleRate > 0 {
			scale = fmt.Sprintf("%g/s after %d", p.ScaleRate, p.ScaleBurst)
		}
		rows = append(rows,
			[]string{p.Name, "concurrency", strconv.Itoa(p.Concurrency), p.Sources["concurrency"]},
			[]string{p.Name, "invocation latency", fmt.Sprintf("%g s", p.Latency), p.Sources["latency"]},
			[]string{p.Name, "cold start", fmt.Sprintf("%g s + the engine's start measured here", p.ColdStart), p.Sources["cold_start"]},
			[]string{p.Name, "scaling rate", scale, p.Sources["scaling"]},
			[]string{p.Name, "payload limit", fmt.Sprintf("%d MB", p.PayloadLimit>>20), p.Sources["payload"]},
		)
	}
	return table([]string{"platform", "parameter", "value", "source"}, rows)
}
