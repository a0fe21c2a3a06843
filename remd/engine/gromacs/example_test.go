package gromacs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/gromacs"
)

// One replica segment of a system prepared for GROMACS (for example with
// gmx pdb2gmx and gmx editconf), through the same Engine interface remd uses.
// It needs gmx on PATH, so it is compiled but not run by go test.
func Example() {
	e, err := engine.New(engine.Spec{Name: "gromacs", Options: json.RawMessage(`{"top":"topol.top","conf":"conf.gro"}`)})
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	st, err := e.Initial(rng, 300)
	if err != nil {
		log.Fatal(err)
	}
	u, err := e.Segment(context.Background(), &st, 300, 1000, rng)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("U = %.1f kJ/mol, β = %.4f mol/kJ\n", u, 1/(e.Boltzmann()*300))
}
