package remd_test

import (
	"context"
	"fmt"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model"
)

func Example() {
	ctx := context.Background()
	p, err := pool.Open(ctx, "local://")
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ts, _ := remd.Temperatures(remd.Geometric, 0.5, 2, 3)
	res, err := remd.Run(ctx, p, remd.Config{
		Engine:       engine.Spec{Name: "harmonic", Options: []byte(`{"dim":3}`)},
		Temperatures: ts, Rounds: 50, Steps: 20, Seed: 1,
	})
	if err != nil {
		panic(err)
	}
	s := res.Summary
	fmt.Println(s.System, s.Replicas, "replicas,", s.Rounds, "rounds")
	fmt.Println("attempts per pair:", s.Attempts)
	// Output:
	// harmonic 3 replicas, 50 rounds
	// attempts per pair: [25 25]
}
