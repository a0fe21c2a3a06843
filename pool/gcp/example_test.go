package gcp_test

import (
	"fmt"

	"github.com/burst-dev/burst/pool/gcp"
)

// gcp://PROJECT/REGION/FUNCTION calls the function at this URL.
func ExampleFunctionURL() {
	fmt.Println(gcp.FunctionURL("my-project", "europe-west1", "burst"))
	// Output: https://europe-west1-my-project.cloudfunctions.net/burst
}
