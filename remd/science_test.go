package remd

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/engine"
	"github.com/burst-dev/burst/remd/validate"
)

// collect runs cfg on an in-process pool and returns every round.
func collect(t *testing.T, cfg Config) []RoundResult {
	t.Helper()
	p, err := pool.Open(context.Background(), "local://")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var rounds []RoundResult
	cfg.OnRound = func(r RoundResult) { rounds = append(rounds, r) }
	if _, err := Run(context.Background(), p, cfg); err != nil {
		t.Fatal(err)
	}
	return rounds
}

func geometric(t *testing.T, tmin, tmax float64, n int) []float64 {
	t.Helper()
	ts, err := Temperatures(Geometric, tmin, tmax, n)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// Exchange acceptance between harmonic oscillators has an exact mean
// (Predescu et al. 2004): 2·I_{1/(1+R)}(d/2, d/2) for temperatures in ratio
// R. The ladder is geometric, so every neighbour pair has the same R.
func TestHarmonicAcceptanceIsExact(t *testing.T) {
	cases := []struct {
		d int
		r float64
	}{{1, 3}, {3, 2}, {10, 1.5}, {30, 1.2}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("d=%d,R=%v", c.d, c.r), func(t *testing.T) {
			t.Parallel()
			const replicas, rounds, skip = 4, 3000, 100
			ts := make([]float64, replicas)
			for k := range ts {
				ts[k] = 1
				for range k {
					ts[k] *= c.r
				}
			}
			res := collect(t, Config{
				Engine:       engine.Spec{Name: "harmonic", Options: json.RawMessage(fmt.Sprintf(`{"dim":%d}`, c.d))},
				Temperatures: ts, Rounds: rounds, Steps: 20, Seed: 11,
			})
			// One sample per round: the mean probability over that round's
			// attempts (all pairs have the same expectation).
			var ps []float64
			for _, r := range res[skip:] {
				sum := 0.0
				for _, x := range r.Exchanges {
					sum += x.Probability
				}
				ps = append(ps, sum/float64(len(r.Exchanges)))
			}
			m, se := validate.BlockMean(ps, 20)
			chk := validate.Within3SE("mean acceptance", m, se, validate.HarmonicAcceptance(c.d, c.r))
			if !chk.OK() {
				t.Error(chk)
			} else {
				t.Log(chk)
			}
		})
	}
}

// doubleWell runs the double-well ladder and returns x per temperature
// after equilibration.
func doubleWell(t *testing.T, delta deltaFunc) ([]float64, [][]float64) {
	ts := geometric(t, 0.3, 3, 8)
	const rounds, skip = 12000, 400
	res := collect(t, Config{
		Engine: engine.Spec{Name: "doublewell"}, Temperatures: ts, Rounds: rounds, Steps: 50, Seed: 5,
		delta: delta,
	})
	xs := make([][]float64, len(ts))
	for _, r := range res[skip:] {
		for k := range ts {
			xs[k] = append(xs[k], r.X[k][0])
		}
	}
	return ts, xs
}

// At every temperature the double well samples its Boltzmann distribution:
// P(x > 0) and ⟨U⟩ within 3 standard errors (20 block averages) of the
// quadrature, and a KS distance below 0.02.
func TestDoubleWellSamplesBoltzmann(t *testing.T) {
	t.Parallel()
	ts, xs := doubleWell(t, metropolisDelta)
	checks := validate.DoubleWellChecks(ts, xs, 20, 0.02)
	for _, c := range checks {
		if !c.OK() {
			t.Error(c)
		} else {
			t.Log(c)
		}
	}
}

// wrongDelta is the study's formula: it subtracts where it must multiply.
func wrongDelta(betaI, betaJ, uI, uJ float64) float64 {
	return (betaI - betaJ) - (uJ - uI)
}

// The same validation must catch the study's bug: run with its formula, the
// double well's distributions must fail the checks.
func TestDoubleWellCatchesTheStudysFormula(t *testing.T) {
	t.Parallel()
	ts, xs := doubleWell(t, wrongDelta)
	failed := validate.Failed(validate.DoubleWellChecks(ts, xs, 20, 0.02))
	if len(failed) == 0 {
		t.Fatal("the study's Metropolis formula passed every double-well check; the validation cannot see the bug")
	}
	for _, c := range failed {
		t.Logf("caught: %v", c)
	}
}
