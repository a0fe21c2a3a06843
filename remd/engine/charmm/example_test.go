package charmm_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/burst-dev/burst/remd/engine/charmm"
)

// A water molecule with CHARMM's TIP3P parameters (flexible): parse, resolve
// the parameters, and evaluate the energy.
func Example() {
	psf := `PSF

       3 !NATOM
       1 W    1    TIP3 OH2  OT    -0.834000       15.9994           0
       2 W    1    TIP3 H1   HT     0.417000        1.0080           0
       3 W    1    TIP3 H2   HT     0.417000        1.0080           0

       2 !NBOND: bonds
       1       2       1       3

       1 !NTHETA: angles
       2       1       3
`
	par := `BONDS
OT   HT    450.0       0.9572
ANGLES
HT   OT   HT     55.0      104.52
NONBONDED
OT     0.000000  -0.152100     1.768200
HT     0.000000  -0.046000     0.224500
END
`
	p, err := charmm.ParsePSF(strings.NewReader(psf), "water.psf")
	if err != nil {
		log.Fatal(err)
	}
	prm, err := charmm.ParseParams(strings.NewReader(par), "water.prm")
	if err != nil {
		log.Fatal(err)
	}
	sys, err := charmm.NewSystem(p, prm)
	if err != nil {
		log.Fatal(err)
	}
	x := []float64{0, 0, 0, 1.0, 0, 0, -0.25, 0.97, 0} // Å
	e := charmm.NewForceField(sys, charmm.Cutoff{None: true}).Energy(x, nil)
	fmt.Printf("bond %.4f angle %.4f total %.4f kcal/mol\n", e.Bond, e.Angle, e.Total())
	// Output:
	// bond 1.7154 angle 0.0001 total 1.7155 kcal/mol
}
