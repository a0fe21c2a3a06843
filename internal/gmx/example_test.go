package gmx_test

import (
	"fmt"

	"github.com/burst-dev/burst/internal/gmx"
)

func ExampleMDP() {
	text, err := gmx.MDP("nsteps = {{.Steps}}\nref-t = {{.Temperature}}\ngen-vel = {{.GenVel}}\ngen-seed = {{.Seed}}\n", 500, 300, 7)
	if err != nil {
		panic(err)
	}
	fmt.Print(text)
	// Output:
	// nsteps = 500
	// ref-t = 300
	// gen-vel = yes
	// gen-seed = 7
}
