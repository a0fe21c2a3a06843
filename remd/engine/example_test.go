package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model" // registers "harmonic"
)

// A system is chosen by its Spec alone, as a worker rebuilds it; a segment
// continues a replica's State in place.
func ExampleNew() {
	e, err := engine.New(engine.Spec{Name: "harmonic", Options: json.RawMessage(`{"dim":3}`)})
	if err != nil {
		panic(err)
	}
	fmt.Println("dim", e.Dim(), "U(1,2,2) =", e.Potential([]float64{1, 2, 2}))
	rng := rand.New(rand.NewPCG(1, 2))
	st, err := e.Initial(rng, 1.0)
	if err != nil {
		panic(err)
	}
	u, err := e.Segment(context.Background(), &st, 1.0, 100, rng)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(st.X) == e.Dim(), u == e.Potential(st.X))
	// Output:
	// dim 3 U(1,2,2) = 4.5
	// true true
}
