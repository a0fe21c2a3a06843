package remd

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/burst-dev/burst/remd/engine"
)

func TestTemperatures(t *testing.T) {
	cases := []struct {
		ladder     Ladder
		tmin, tmax float64
		n          int
		want       []float64
	}{
		{Geometric, 1, 8, 4, []float64{1, 2, 4, 8}},
		{Linear, 1, 4, 4, []float64{1, 2, 3, 4}},
		{Geometric, 2, 2, 1, []float64{2}},
	}
	for _, c := range cases {
		got, err := Temperatures(c.ladder, c.tmin, c.tmax, c.n)
		if err != nil {
			t.Fatalf("Temperatures(%s, %v, %v, %d): %v", c.ladder, c.tmin, c.tmax, c.n, err)
		}
		for k := range got {
			if math.Abs(got[k]-c.want[k]) > 1e-12 {
				t.Errorf("Temperatures(%s, %v, %v, %d) = %v, want %v", c.ladder, c.tmin, c.tmax, c.n, got, c.want)
				break
			}
		}
	}
	bad := []struct {
		ladder     Ladder
		tmin, tmax float64
		n          int
		want       string
	}{
		{Geometric, 0, 1, 3, "0 < tmin"},
		{Geometric, 2, 1, 3, "tmin ≤ tmax"},
		{Linear, 1, 1, 3, "tmin < tmax"},
		{"cubic", 1, 2, 3, `want "geometric" or "linear"`},
		{Geometric, 1, 2, 0, "at least 1"},
	}
	for _, c := range bad {
		if _, err := Temperatures(c.ladder, c.tmin, c.tmax, c.n); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Temperatures(%s, %v, %v, %d) error = %v, want one mentioning %q", c.ladder, c.tmin, c.tmax, c.n, err, c.want)
		}
	}
	if err := CheckTemperatures([]float64{1, 3, 2}); err == nil || !strings.Contains(err.Error(), "increase") {
		t.Errorf("CheckTemperatures(1,3,2) = %v, want an error about increasing order", err)
	}
}

func TestMetropolisDelta(t *testing.T) {
	// Swapping a cold replica with a higher energy than the hot one is
	// always accepted (Δ ≤ 0); the reverse costs (β_i − β_j)(U_j − U_i).
	bi, bj := 1/1.0, 1/2.0
	if d := metropolisDelta(bi, bj, 5, 3); d > 0 {
		t.Errorf("cold U=5, hot U=3: Δ = %v, want ≤ 0", d)
	}
	if d, want := metropolisDelta(bi, bj, 3, 5), 0.5*2; d != want {
		t.Errorf("cold U=3, hot U=5: Δ = %v, want %v", d, want)
	}
}

func TestNeighborPairsAlternate(t *testing.T) {
	always := func(_, _, _, _ float64) float64 { return -1 }
	x := &exchanger{scheme: Neighbors, beta: make([]float64, 5), delta: always}
	pairs := func(round int) [][2]int {
		var p [][2]int
		for _, e := range x.round(round, []int{0, 1, 2, 3, 4}, make([]float64, 5), rand.New(rand.NewPCG(1, 1))) {
			p = append(p, [2]int{e.I, e.J})
		}
		return p
	}
	if got, want := pairs(0), [][2]int{{0, 1}, {2, 3}}; !slices.Equal(got, want) {
		t.Errorf("even round pairs %v, want %v", got, want)
	}
	if got, want := pairs(7), [][2]int{{1, 2}, {3, 4}}; !slices.Equal(got, want) {
		t.Errorf("odd round pairs %v, want %v", got, want)
	}
}

func TestSwapAllKeepsAPermutation(t *testing.T) {
	x := &exchanger{scheme: SwapAll, attempts: 50, beta: []float64{1, 0.8, 0.6, 0.4, 0.2}, delta: metropolisDelta}
	perm := []int{0, 1, 2, 3, 4}
	u := []float64{-3, 1, 0, 2, 5}
	ex := x.round(0, perm, u, rand.New(rand.NewPCG(2, 2)))
	if len(ex) != 50 {
		t.Fatalf("%d attempts, want 50", len(ex))
	}
	for _, e := range ex {
		if !(e.I < e.J) {
			t.Fatalf("attempt %+v: want I < J", e)
		}
	}
	s := slices.Clone(perm)
	slices.Sort(s)
	if !slices.Equal(s, []int{0, 1, 2, 3, 4}) {
		t.Errorf("perm after swap-all = %v, not a permutation", perm)
	}
}

// A swap moves a replica to a new temperature; its velocities must follow,
// scaled by sqrt(T_new/T_old), before the first step.
func TestVelocitiesRescaledAfterSwap(t *testing.T) {
	st := engine.State{X: []float64{0.1, -0.2}, V: []float64{1, -3}}
	out, err := runSegment(context.Background(), SegmentIn{
		Engine: engine.Spec{Name: "harmonic", Options: json.RawMessage(`{"dim":2}`)},
		Round:  5, T: 4, PrevT: 1, Steps: 0, Storage: Payload, State: &st,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.State.V, []float64{2, -6}; !slices.Equal(got, want) {
		t.Errorf("velocities after a 1→4 swap = %v, want %v", got, want)
	}
	if st.V[0] != 1 {
		t.Errorf("the caller's state was modified: %v", st.V)
	}
}

func TestConfigErrors(t *testing.T) {
	good := Config{Engine: engine.Spec{Name: "harmonic"}, Temperatures: []float64{1, 2}, Rounds: 1, Steps: 1}
	cases := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Engine.Name = "argon" }, `unknown system "argon"`},
		{func(c *Config) { c.Temperatures = []float64{2, 1} }, "increase"},
		{func(c *Config) { c.Rounds = 0 }, "rounds = 0"},
		{func(c *Config) { c.Steps = -1 }, "steps = -1"},
		{func(c *Config) { c.Exchange = "all" }, `"neighbors" or "swap-all"`},
		{func(c *Config) { c.Storage = "disk" }, "want one of [payload objectstore shared]"},
		{func(c *Config) { c.Storage = ObjectStore }, "needs a cloudfs URL"},
		{func(c *Config) { c.Storage = Shared }, "needs a shared URL"},
		{func(c *Config) { c.SegmentsPerCall = -2 }, "segments per call = -2: need ≥ 1, or 0"},
	}
	for _, c := range cases {
		cfg := good
		c.edit(&cfg)
		if _, err := cfg.normalize(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error = %v, want one mentioning %q", err, c.want)
		}
	}
}

func TestRoundTripsAreCounted(t *testing.T) {
	// Three temperatures; replica 0 goes cold (round 0) → hot (round 2) →
	// cold (round 4): one trip of 4 rounds. Replica 2 starts hot and only
	// reaches cold, which is not a trip.
	walks := [][]int{ // perm by round: replica at temperature 0, 1, 2
		{0, 1, 2},
		{1, 0, 2},
		{1, 2, 0},
		{2, 1, 0},
		{0, 1, 2},
	}
	s := &runState{TripPhase: make([]int, 3), TripsOf: make([]int, 3), TripStart: make([]int, 3)}
	for r, perm := range walks {
		s.trips(r, perm)
	}
	if got, want := s.TripsOf, []int{1, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("trips per replica = %v, want %v", got, want)
	}
	if s.TripRounds != 4 {
		t.Errorf("trip rounds = %d, want 4", s.TripRounds)
	}
}

func TestPackedStatesRoundTripExactly(t *testing.T) {
	in := []engine.State{
		{X: []float64{1, -0.1, math.Inf(1), 5e-324}, V: []float64{math.Pi, 0}},
		{X: []float64{}, V: nil},
		{X: []float64{math.MaxFloat64}, V: []float64{math.Copysign(0, -1)}},
	}
	out, err := unpackStates(packStates(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d states back, want %d", len(out), len(in))
	}
	for i := range in {
		for j := range in[i].X {
			if math.Float64bits(out[i].X[j]) != math.Float64bits(in[i].X[j]) {
				t.Errorf("state %d x[%d] = %v, want %v", i, j, out[i].X[j], in[i].X[j])
			}
		}
		for j := range in[i].V {
			if math.Float64bits(out[i].V[j]) != math.Float64bits(in[i].V[j]) {
				t.Errorf("state %d v[%d] = %v, want %v", i, j, out[i].V[j], in[i].V[j])
			}
		}
	}
	if _, err := unpackStates([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1}); err == nil {
		t.Error("a truncated states blob decoded without error")
	}
}
