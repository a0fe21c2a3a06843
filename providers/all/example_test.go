package all_test

import (
	"fmt"

	"github.com/burst-dev/burst/pool/driver"
	_ "github.com/burst-dev/burst/providers/all"
)

// Importing the package registers every backend's pool URL scheme, so a
// burst.yaml may name any of them.
func Example() {
	fmt.Println(driver.Schemes())
	// Output: [aws azure gcp ibm knative local openwhisk process slurm tcp]
}
