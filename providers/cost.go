package providers

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
)

// PricingDate is when DefaultPricing and Billing were last checked against
// the providers' public price lists (docs/cost.md cites each page).
const PricingDate = "2025-06"

// Billing holds each provider's billing rules: list prices (USD,
// pay-as-you-go, first tier, free tier off) and how a call's duration and
// memory are turned into billed units. Keys are provider names as in
// burst.yaml, plus "aws/arm64". docs/cost.md gives the source of every
// number; a config's pricing block overrides the prices, never the rules.
var Billing = map[string]BillingRules{
	"aws": {
		Provider: "aws", Plan: "AWS Lambda on-demand, us-east-1, x86_64",
		Granularity: time.Millisecond, MemoryStepMB: 1, MinMemoryMB: 128, MaxMemoryMB: 10240,
		Pricing: Pricing{PerGBSecond: 0.0000166667, PerMillionRequests: 0.20, Date: PricingDate + " us-east-1 x86_64"},
		Source:  "https://aws.amazon.com/lambda/pricing/ (1 ms granularity, no minimum, since 2020-12-01)",
	},
	"aws/arm64": {
		Provider: "aws/arm64", Plan: "AWS Lambda on-demand, us-east-1, arm64",
		Granularity: time.Millisecond, MemoryStepMB: 1, MinMemoryMB: 128, MaxMemoryMB: 10240,
		Pricing: Pricing{PerGBSecond: 0.0000133334, PerMillionRequests: 0.20, Date: PricingDate + " us-east-1 arm64"},
		Source:  "https://aws.amazon.com/lambda/pricing/",
	},
	"gcp": {
		Provider: "gcp", Plan: "Cloud Run functions (request-based billing), tier 1 region",
		Granularity: 100 * time.Millisecond, MemoryStepMB: 1, MinMemoryMB: 128, MaxMemoryMB: 32768,
		CPUForMemory: gcpCPU,
		Pricing:      Pricing{PerGBSecond: 0.0000025, PerVCPUSecond: 0.000024, PerMillionRequests: 0.40, Date: PricingDate + " tier 1"},
		Source:       "https://cloud.google.com/run/pricing (billable time rounded up to 100 ms); https://cloud.google.com/functions/docs/configuring/memory (vCPU per memory)",
	},
	"azure": {
		Provider: "azure", Plan: "Azure Functions Consumption plan",
		Granularity: time.Millisecond, Minimum: 100 * time.Millisecond,
		MemoryStepMB: 128, MinMemoryMB: 128, MaxMemoryMB: 1536,
		Pricing: Pricing{PerGBSecond: 0.000016, PerMillionRequests: 0.20, Date: PricingDate + " consumption"},
		Source:  "https://azure.microsoft.com/pricing/details/functions/ (memory rounded up to 128 MB, at most 1536 MB; minimum 100 ms and 128 MB per execution)",
	},
	"ibm": {
		Provider: "ibm", Plan: "IBM Cloud Code Engine (one call per instance)",
		Granularity: time.Millisecond, MemoryStepMB: 1, MinMemoryMB: 128, MaxMemoryMB: 32768,
		CPUForMemory: ibmCPU,
		Pricing:      Pricing{PerGBSecond: 0.00000356, PerVCPUSecond: 0.00003431, PerMillionRequests: 0.538, Date: PricingDate},
		Source:       "https://cloud.ibm.com/docs/codeengine?topic=codeengine-pricing (vCPU-s, GB-s of running instances, HTTP requests)",
	},
}

// BillingRules is how one provider bills calls. The zero Granularity bills
// durations as measured.
type BillingRules struct {
	Provider string
	Plan     string
	// Granularity: each call's duration is rounded up to a multiple of it.
	// Minimum: a call is billed at least this long.
	Granularity, Minimum time.Duration
	// Billed memory is rounded up to a multiple of MemoryStepMB and held
	// within [MinMemoryMB, MaxMemoryMB].
	MemoryStepMB, MinMemoryMB, MaxMemoryMB int
	// CPUForMemory gives the vCPUs an instance of that memory gets, where
	// CPU is billed apart and the config does not say (nil: 1 vCPU).
	CPUForMemory func(memoryMB int) float64
	Pricing      Pricing
	Source       string // where the rules and prices are published
}

// gcpCPU is Cloud Run functions' default vCPU for a memory size.
func gcpCPU(mb int) float64 {
	switch {
	case mb <= 128:
		return 0.083
	case mb <= 256:
		return 0.167
	case mb <= 512:
		return 0.333
	case mb <= 1024:
		return 0.583
	case mb <= 2048:
		return 1
	case mb <= 8192:
		return 2
	case mb <= 16384:
		return 4
	}
	return 8
}

// ibmCPU is the smallest Code Engine CPU whose supported combinations
// include the memory (1 vCPU : 2 GB up to 4 GB per vCPU).
func ibmCPU(mb int) float64 {
	for _, c := range []float64{0.125, 0.25, 0.5, 1, 2, 4, 6, 8, 12} {
		if float64(mb) <= c*4096 {
			return c
		}
	}
	return 12
}

// Providers lists the providers Billing knows, sorted.
func Providers() []string {
	s := make([]string, 0, len(Billing))
	for k := range Billing {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Rules returns the billing rules of a provider ("aws", "aws/arm64", "gcp",
// "azure", "ibm").
func Rules(provider string) (BillingRules, error) {
	r, ok := Billing[provider]
	if !ok {
		return BillingRules{}, fmt.Errorf("providers: no billing rules for %q (known: %s)", provider, strings.Join(Providers(), ", "))
	}
	return r, nil
}

// BilledDuration is what the provider bills for one call that ran d.
func (r BillingRules) BilledDuration(d time.Duration) time.Duration {
	if d < 0 {
		d = 0
	}
	if g := r.Granularity; g > 0 {
		if rem := d % g; rem != 0 {
			d += g - rem
		}
	}
	return max(d, r.Minimum)
}

// BilledMemoryMB is the memory the provider bills for a function configured
// with mb.
func (r BillingRules) BilledMemoryMB(mb int) int {
	if s := r.MemoryStepMB; s > 1 {
		mb = (mb + s - 1) / s * s
	}
	if r.MinMemoryMB > 0 {
		mb = max(mb, r.MinMemoryMB)
	}
	if r.MaxMemoryMB > 0 {
		mb = min(mb, r.MaxMemoryMB)
	}
	return mb
}

// CPU is the vCPUs billed per instance: cpu when given, else the
// provider's default for the memory; 0 where CPU is not billed apart.
func (r BillingRules) CPU(memoryMB int, cpu float64) float64 {
	if r.Pricing.PerVCPUSecond == 0 {
		return 0
	}
	if cpu > 0 {
		return cpu
	}
	if r.CPUForMemory != nil {
		return r.CPUForMemory(memoryMB)
	}
	return 1
}

// Bill prices calls that ran the given durations (one billed request each)
// plus extra requests that ran no billed time (failed attempts), with
// memoryMB configured per function and cpu vCPUs (0: the default for the
// memory).
func (r BillingRules) Bill(durations []time.Duration, extraRequests int64, memoryMB int, cpu float64) Estimate {
	var billed time.Duration
	for _, d := range durations {
		billed += r.BilledDuration(d)
	}
	return r.price(int64(len(durations)), int64(len(durations))+extraRequests, billed, memoryMB, cpu)
}

func (r BillingRules) price(calls, requests int64, billed time.Duration, memoryMB int, cpu float64) Estimate {
	mem := r.BilledMemoryMB(memoryMB)
	sec := billed.Seconds()
	est := Estimate{Provider: r.Provider, MemoryMB: mem, Calls: calls, Requests: requests,
		BilledSeconds: sec, GBSeconds: sec * float64(mem) / 1024, Pricing: r.Pricing}
	if c := r.CPU(memoryMB, cpu); c > 0 {
		est.CPU = c
		est.VCPUSeconds = sec * c
	}
	est.Dollars = est.GBSeconds*r.Pricing.PerGBSecond + est.VCPUSeconds*r.Pricing.PerVCPUSecond +
		float64(requests)*r.Pricing.PerMillionRequests/1e6
	est.Dollars = math.Round(est.Dollars*1e9) / 1e9
	return est
}

// DefaultPricing holds the list prices of Billing, plus zero prices for the
// self-hosted platforms (openwhisk, knative: they cost what their cluster
// costs) and this machine. A config's pricing block overrides any field.
var DefaultPricing = func() map[string]Pricing {
	m := map[string]Pricing{
		"openwhisk": {Date: "self-hosted"},
		"knative":   {Date: "self-hosted"},
		"local":     {Date: "this machine"},
		"process":   {Date: "this machine"},
	}
	for k, r := range Billing {
		m[k] = r.Pricing
	}
	return m
}()

// DefaultMemoryMB is the function memory assumed when compute.memory is not
// set (it is also what the deploy command gives a new function).
const DefaultMemoryMB = 1024

// Estimate is what a run cost, or would cost, on a provider.
type Estimate struct {
	Provider      string
	MemoryMB      int     // billed memory per instance
	CPU           float64 // vCPUs billed per instance, where billed apart
	Calls         int64   // calls made
	Requests      int64   // invocations billed: every attempt counts
	BilledSeconds float64 // billed duration, summed over calls
	GBSeconds     float64 // billed duration × memory
	VCPUSeconds   float64 // billed duration × CPU
	Dollars       float64
	Pricing       Pricing
}

func (e Estimate) String() string {
	s := fmt.Sprintf("%s: %d calls, %d requests, %.3f GB-s", e.Provider, e.Calls, e.Requests, e.GBSeconds)
	if e.VCPUSeconds > 0 {
		s += fmt.Sprintf(", %.3f vCPU-s", e.VCPUSeconds)
	}
	return s + fmt.Sprintf(" at %d MB: $%.6f (prices of %s)", e.MemoryMB, e.Dollars, e.Pricing.Date)
}

// Estimator adds up billed time and requests from a pool's call statistics,
// applying its provider's rules to each call as it is added. It is safe for
// concurrent use.
type Estimator struct {
	rules    BillingRules
	memoryMB int
	cpu      float64

	mu       sync.Mutex
	calls    int64
	requests int64
	billed   time.Duration
}

// NewEstimator returns an estimator for a provider of Billing, with memoryMB
// per function (0: DefaultMemoryMB) and cpu vCPUs (0: the provider's default
// for the memory).
func NewEstimator(provider string, memoryMB int, cpu float64) (*Estimator, error) {
	r, err := Rules(provider)
	if err != nil {
		return nil, err
	}
	if memoryMB == 0 {
		memoryMB = DefaultMemoryMB
	}
	return &Estimator{rules: r, memoryMB: memoryMB, cpu: cpu}, nil
}

// Estimator returns a cost estimator for the config's provider, memory and
// pricing (defaults filled in from Billing). Providers without billing
// rules (local, process, openwhisk, knative) bill measured time at their
// configured prices, zero by default.
func (c *Config) Estimator() *Estimator {
	prov := c.Compute.Backend
	if prov == "" || c.Compute.URL != "" {
		prov = "local"
	}
	key := prov
	if v, ok := c.sectionOf(prov).(driver.BillingVariant); ok && v.BillingVariant() != "" {
		key = prov + "/" + v.BillingVariant()
	}
	r, ok := Billing[key]
	if !ok {
		r = BillingRules{Provider: key, Pricing: DefaultPricing[key]}
	}
	over := c.pricing[prov]
	p := &r.Pricing
	if over.PerGBSecond > 0 {
		p.PerGBSecond = over.PerGBSecond
	}
	if over.PerVCPUSecond > 0 {
		p.PerVCPUSecond = over.PerVCPUSecond
	}
	if over.PerMillionRequests > 0 {
		p.PerMillionRequests = over.PerMillionRequests
	}
	if over.Date != "" {
		p.Date = over.Date
	}
	mem := c.Compute.Memory
	if mem == 0 {
		mem = DefaultMemoryMB
	}
	cpu := c.Compute.CPU
	if cpu == 0 && p.PerVCPUSecond > 0 && r.CPUForMemory == nil {
		cpu = 1
	}
	return &Estimator{rules: r, memoryMB: mem, cpu: cpu}
}

// Rules returns the billing rules the estimator applies.
func (e *Estimator) Rules() BillingRules { return e.rules }

// Add counts one call: each attempt is a billed request, and the duration
// the worker reported is billed by the provider's rules (granularity,
// minimum). Only the last attempt's duration is known, so earlier failed
// attempts are counted as requests but not as time.
func (e *Estimator) Add(s pool.CallStats) {
	var d time.Duration
	if !s.Started.IsZero() && s.Ended.After(s.Started) {
		d = s.Ended.Sub(s.Started)
	}
	e.AddDuration(d, max(s.Attempts, 1))
}

// AddDuration counts one call that ran d and took attempts requests.
func (e *Estimator) AddDuration(d time.Duration, attempts int) {
	b := e.rules.BilledDuration(d)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	e.requests += int64(max(attempts, 1))
	e.billed += b
}

// AddStats counts a pool's totals (pool.Stats) when per-call statistics were
// not kept; the rules' granularity and minimum cannot be applied per call
// then, so this underestimates short calls.
func (e *Estimator) AddStats(s pool.Stats) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls += s.Calls
	e.requests += s.Calls + s.Retries + s.Backups // a backup attempt is a request too
	e.billed += s.Busy
}

// Estimate prices what was added so far.
func (e *Estimator) Estimate() Estimate {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rules.price(e.calls, e.requests, e.billed, e.memoryMB, e.cpu)
}
