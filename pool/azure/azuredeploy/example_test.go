package azuredeploy_test

import (
	"fmt"

	"github.com/burst-dev/burst/pool/azure/azuredeploy"
)

// The archive holds host.json, the function's function.json, and the
// binary as burst-worker.
func ExampleFiles() {
	for _, f := range azuredeploy.Files("burst") {
		fmt.Println(f.Name)
	}
	// Output:
	// host.json
	// burst/function.json
}
