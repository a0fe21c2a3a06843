package providers

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/burst-dev/burst/pool"
)

// PricingDate is when DefaultPricing was last checked against the
// providers' public price lists.
const PricingDate = "2025-06"

// DefaultPricing holds list prices (USD, pay-as-you-go, first tier, no free
// tier) per provider, as of PricingDate. A config's pricing block overrides
// any field. Self-hosted platforms (openwhisk, knative) cost what their
// cluster costs, so their defaults are zero.
var DefaultPricing = map[string]Pricing{
	// AWS Lambda, us-east-1, x86_64; arm64 is "aws/arm64".
	"aws":       {PerGBSecond: 0.0000166667, PerMillionRequests: 0.20, Date: PricingDate + " us-east-1 x86_64"},
	"aws/arm64": {PerGBSecond: 0.0000133334, PerMillionRequests: 0.20, Date: PricingDate + " us-east-1 arm64"},
	// Cloud Run functions (gen2) bill memory and CPU apart, tier-1 regions.
	"gcp": {PerGBSecond: 0.0000025, PerVCPUSecond: 0.000024, PerMillionRequests: 0.40, Date: PricingDate + " tier 1"},
	// Azure Functions, Consumption plan.
	"azure": {PerGBSecond: 0.000016, PerMillionRequests: 0.20, Date: PricingDate + " consumption"},
	// IBM Cloud Code Engine.
	"ibm":       {PerGBSecond: 0.00000356, PerVCPUSecond: 0.00003431, PerMillionRequests: 0.538, Date: PricingDate},
	"openwhisk": {Date: "self-hosted"},
	"knative":   {Date: "self-hosted"},
	"local":     {Date: "this machine"},
	"process":   {Date: "this machine"},
}

// DefaultMemoryMB is the function memory assumed when compute.memory is not
// set (it is also what the deploy command gives a new function).
const DefaultMemoryMB = 1024

// Estimate is what a run cost, or would cost, on a provider.
type Estimate struct {
	Provider    string
	MemoryMB    int
	CPU         float64 // vCPUs billed per instance, where billed apart
	Calls       int64   // calls made
	Requests    int64   // invocations billed: every attempt counts
	GBSeconds   float64 // billed duration × memory
	VCPUSeconds float64 // billed duration × CPU
	Dollars     float64
	Pricing     Pricing
}

func (e Estimate) String() string {
	s := fmt.Sprintf("%s: %d calls, %d requests, %.3f GB-s", e.Provider, e.Calls, e.Requests, e.GBSeconds)
	if e.VCPUSeconds > 0 {
		s += fmt.Sprintf(", %.3f vCPU-s", e.VCPUSeconds)
	}
	return s + fmt.Sprintf(" at %d MB: $%.6f (prices of %s)", e.MemoryMB, e.Dollars, e.Pricing.Date)
}

// Estimator adds up billed time and requests from a pool's call statistics.
// It is safe for concurrent use.
type Estimator struct {
	provider string
	memoryMB int
	cpu      float64
	pricing  Pricing

	mu       sync.Mutex
	calls    int64
	requests int64
	billed   time.Duration
}

// Estimator returns a cost estimator for the config's provider, memory and
// pricing (defaults filled in from DefaultPricing).
func (c *Config) Estimator() *Estimator {
	prov := c.Compute.Backend
	if prov == "" || c.Compute.URL != "" {
		prov = "local"
	}
	key := prov
	if prov == "aws" && c.AWS.Architecture == "arm64" {
		key = "aws/arm64"
	}
	p := DefaultPricing[key]
	var over Pricing
	switch prov {
	case "aws":
		over = c.AWS.Pricing
	case "gcp":
		over = c.GCP.Pricing
	case "azure":
		over = c.Azure.Pricing
	case "ibm":
		over = c.IBM.Pricing
	case "openwhisk":
		over = c.OpenWhisk.Pricing
	case "knative":
		over = c.Knative.Pricing
	}
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
	if cpu == 0 && p.PerVCPUSecond > 0 {
		cpu = 1
	}
	return &Estimator{provider: key, memoryMB: mem, cpu: cpu, pricing: p}
}

// Add counts one call: each attempt is a billed request, and the duration
// the worker reported is rounded up to the millisecond, as Lambda bills.
// Only the last attempt's duration is known, so earlier failed attempts are
// counted as requests but not as time.
func (e *Estimator) Add(s pool.CallStats) {
	var d time.Duration
	if !s.Started.IsZero() && s.Ended.After(s.Started) {
		d = s.Ended.Sub(s.Started).Round(time.Millisecond)
		if d < s.Ended.Sub(s.Started) {
			d += time.Millisecond
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	e.requests += int64(max(s.Attempts, 1))
	e.billed += d
}

// AddStats counts a pool's totals (pool.Stats) when per-call statistics were
// not kept; durations are then not rounded per call.
func (e *Estimator) AddStats(s pool.Stats) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls += s.Calls
	e.requests += s.Calls + s.Retries
	e.billed += s.Busy
}

// Estimate prices what was added so far.
func (e *Estimator) Estimate() Estimate {
	e.mu.Lock()
	defer e.mu.Unlock()
	sec := e.billed.Seconds()
	est := Estimate{Provider: e.provider, MemoryMB: e.memoryMB, Calls: e.calls, Requests: e.requests,
		GBSeconds: sec * float64(e.memoryMB) / 1024, Pricing: e.pricing}
	if e.pricing.PerVCPUSecond > 0 {
		est.CPU = e.cpu
		est.VCPUSeconds = sec * e.cpu
	}
	est.Dollars = est.GBSeconds*e.pricing.PerGBSecond + est.VCPUSeconds*e.pricing.PerVCPUSecond +
		float64(e.requests)*e.pricing.PerMillionRequests/1e6
	est.Dollars = math.Round(est.Dollars*1e9) / 1e9
	return est
}
