package validate_test

import (
	"fmt"

	"github.com/burst-dev/burst/remd/validate"
)

func Example() {
	// Exchanges between 3-dimensional oscillators at T and 2T succeed on
	// average this often:
	fmt.Printf("%.4f\n", validate.HarmonicAcceptance(3, 2))
	// The double well at T = 0.5 spends this fraction of time at x > 0:
	fmt.Printf("%.4f\n", validate.NewDoubleWell(0.5).PRight)
	// Output:
	// 0.5836
	// 0.1237
}
