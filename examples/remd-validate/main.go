// Command remd-validate runs the long versions of remd's proofs against
// exact answers and prints one line per check:
//
//   - harmonic oscillators: mean exchange acceptance against
//     2·I_{1/(1+R)}(d/2, d/2) (Predescu et al. 2004) over a grid of d and R;
//
//   - the double well: P(x > 0) and ⟨U⟩ at every temperature against
//     quadrature, within 3 block-average standard errors, and the KS
//     distance of the sampled x below 0.02, for several seeds.
//
//     go run ./examples/remd-validate                  # about a minute on 2 cores
//     go run ./examples/remd-validate -scale 5 -seeds 10
//
// It exits with status 1 if any check fails. The in-repo tests run shorter
// versions of the same checks (and show that the study's Metropolis formula
// fails them).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model"
	"github.com/burst-dev/burst/remd/validate"
)

func main() {
	pool.Main()
	backend := flag.String("backend", "local://", "pool URL")
	scale := flag.Float64("scale", 1, "multiply the number of rounds by this")
	seeds := flag.Int("seeds", 3, "double-well runs with seeds 1..N")
	dt := flag.Float64("dt", 0.01, "double-well time step")
	flag.Parse()
	ctx := context.Background()
	p, err := pool.Open(ctx, *backend)
	if err != nil {
		fmt.Fprintln(os.Stderr, "remd-validate:", err)
		os.Exit(2)
	}
	defer p.Close()

	failed := 0
	report := func(c validate.Check) {
		fmt.Println(c)
		if !c.OK() {
			failed++
		}
	}
	start := time.Now()

	fmt.Println("== harmonic oscillators: mean exchange acceptance vs 2·I_{1/(1+R)}(d/2,d/2)")
	for _, d := range []int{1, 2, 3, 6, 10, 30} {
		for _, r := range []float64{1.2, 1.5, 2, 3} {
			want := validate.HarmonicAcceptance(d, r)
			if want < 0.05 {
				continue // too few accepted swaps to mix in a short run
			}
			ts := []float64{1, r, r * r, r * r * r}
			rounds := int(6000 * *scale)
			var ps []float64
			_, err := remd.Run(ctx, p, remd.Config{
				Engine:       engine.Spec{Name: "harmonic", Options: json.RawMessage(fmt.Sprintf(`{"dim":%d}`, d))},
				Temperatures: ts, Rounds: rounds, Steps: 20, Seed: uint64(100*d) + uint64(10*r),
				OnRound: func(rr remd.RoundResult) {
					if rr.Round < 200 {
						return
					}
					sum := 0.0
					for _, x := range rr.Exchanges {
						sum += x.Probability
					}
					ps = append(ps, sum/float64(len(rr.Exchanges)))
				},
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, "remd-validate:", err)
				os.Exit(2)
			}
			m, se := validate.BlockMean(ps, 20)
			report(validate.Within3SE(fmt.Sprintf("d=%d R=%v acceptance", d, r), m, se, want))
		}
	}

	fmt.Printf("== double well U = 5(x²−1)² + 0.5x, 8 temperatures 0.3…3 (geometric), dt=%v: P(x>0), <U> vs quadrature; KS < 0.02\n", *dt)
	ts, _ := remd.Temperatures(remd.Geometric, 0.3, 3, 8)
	for seed := 1; seed <= *seeds; seed++ {
		rounds := int(20000 * *scale)
		xs := make([][]float64, len(ts))
		_, err := remd.Run(ctx, p, remd.Config{
			Engine:       engine.Spec{Name: "doublewell", Options: json.RawMessage(fmt.Sprintf(`{"dt":%v}`, *dt))},
			Temperatures: ts, Rounds: rounds, Steps: int(0.5 / *dt), Seed: uint64(seed),
			OnRound: func(rr remd.RoundResult) {
				if rr.Round < 400 {
					return
				}
				for k := range ts {
					xs[k] = append(xs[k], rr.X[k][0])
				}
			},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "remd-validate:", err)
			os.Exit(2)
		}
		fmt.Printf("-- seed %d, %d rounds\n", seed, rounds)
		for _, c := range validate.DoubleWellChecks(ts, xs, 20, 0.02) {
			report(c)
		}
	}
	fmt.Printf("== %d checks failed (%.0f s)\n", failed, time.Since(start).Seconds())
	if failed > 0 {
		os.Exit(1)
	}
}
