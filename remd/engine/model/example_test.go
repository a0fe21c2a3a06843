package model_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model"
)

func Example() {
	e, err := engine.New(engine.Spec{Name: "doublewell"})
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	st, _ := e.Initial(rng, 1.0)
	if _, err := e.Segment(context.Background(), &st, 1.0, 1000, rng); err != nil {
		panic(err)
	}
	fmt.Println(engine.Names())
	fmt.Println(len(st.X), len(st.V))
	// Output:
	// [doublewell harmonic lj lj13 lj38]
	// 1 1
}
