package providers_test

import (
	"math"
	"testing"
	"time"

	"github.com/burst-dev/burst/providers"
)

// TestBillByHand checks each provider's rules against bills worked out by
// hand: ten calls of 1.2345 s and ten of 50 ms, at 2048 MB, one retried
// attempt that billed no time.
func TestBillByHand(t *testing.T) {
	var ds []time.Duration
	for range 10 {
		ds = append(ds, 1234500*time.Microsecond, 50*time.Millisecond)
	}
	for _, tc := range []struct {
		provider      string
		cpu           float64
		billedSeconds float64 // after granularity and minimum
		memoryMB      int     // billed memory
		vcpu          float64
		dollars       float64
	}{
		// 1 ms granularity, no minimum: 10 × 1.235 + 10 × 0.050 = 12.85 s;
		// 12.85 s × 2 GB × $0.0000166667 + 21 requests × $0.20/M.
		{"aws", 0, 12.85, 2048, 0, 25.7*0.0000166667 + 21*0.20/1e6},
		{"aws/arm64", 0, 12.85, 2048, 0, 25.7*0.0000133334 + 21*0.20/1e6},
		// 100 ms granularity: 10 × 1.3 + 10 × 0.1 = 14 s; 2 GiB gets 1 vCPU.
		{"gcp", 0, 14, 2048, 1, 28*0.0000025 + 14*0.000024 + 21*0.40/1e6},
		// Memory capped at 1536 MB; 100 ms minimum: 10 × 1.235 + 10 × 0.1.
		{"azure", 0, 13.35, 1536, 0, 13.35*1.5*0.000016 + 21*0.20/1e6},
		// Code Engine, 2 GB with 1 vCPU as the study configured.
		{"ibm", 1, 12.85, 2048, 1, 25.7*0.00000356 + 12.85*0.00003431 + 21*0.538/1e6},
		// Without a CPU, 2 GB takes Code Engine's smallest combination, 0.5 vCPU.
		{"ibm", 0, 12.85, 2048, 0.5, 25.7*0.00000356 + 6.425*0.00003431 + 21*0.538/1e6},
	} {
		r, err := providers.Rules(tc.provider)
		if err != nil {
			t.Fatal(err)
		}
		est := r.Bill(ds, 1, 2048, tc.cpu)
		if est.Calls != 20 || est.Requests != 21 || est.MemoryMB != tc.memoryMB || est.CPU != tc.vcpu ||
			math.Abs(est.BilledSeconds-tc.billedSeconds) > 1e-9 || math.Abs(est.Dollars-tc.dollars) > 1e-9 {
			t.Errorf("%s: %+v; want 20 calls, 21 requests, %d MB, %g vCPU, %g s billed, $%.9f",
				tc.provider, est, tc.memoryMB, tc.vcpu, tc.billedSeconds, tc.dollars)
		}
		// The estimator applies the same rules call by call.
		e, err := providers.NewEstimator(tc.provider, 2048, tc.cpu)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range ds {
			e.AddDuration(d, 1+b2i(i == 0))
		}
		if got := e.Estimate(); math.Abs(got.Dollars-est.Dollars) > 1e-12 || got.Requests != 21 {
			t.Errorf("%s: estimator %+v, Bill %+v", tc.provider, got, est)
		}
	}
	if _, err := providers.Rules("oracle"); err == nil {
		t.Error("Rules(oracle) did not fail")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestBilledDurationEdges(t *testing.T) {
	aws, _ := providers.Rules("aws")
	gcp, _ := providers.Rules("gcp")
	az, _ := providers.Rules("azure")
	for _, tc := range []struct {
		r    providers.BillingRules
		d    time.Duration
		want time.Duration
	}{
		{aws, 0, 0},
		{aws, time.Microsecond, time.Millisecond},
		{aws, time.Millisecond, time.Millisecond},
		{gcp, 100 * time.Millisecond, 100 * time.Millisecond},
		{gcp, 100*time.Millisecond + 1, 200 * time.Millisecond},
		{az, time.Millisecond, 100 * time.Millisecond},
		{az, 150*time.Millisecond + 1, 151 * time.Millisecond},
	} {
		if got := tc.r.BilledDuration(tc.d); got != tc.want {
			t.Errorf("%s: BilledDuration(%v) = %v, want %v", tc.r.Provider, tc.d, got, tc.want)
		}
	}
	if got := az.BilledMemoryMB(200); got != 256 {
		t.Errorf("azure: BilledMemoryMB(200) = %d, want 256", got)
	}
}
