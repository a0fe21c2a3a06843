package azure_test

import (
	"fmt"

	"github.com/burst-dev/burst/pool/azure"
)

// azure://APP/FUNCTION calls the HTTP trigger at this URL.
func ExampleTriggerURL() {
	fmt.Println(azure.TriggerURL("my-burst-app", "burst"))
	// Output: https://my-burst-app.azurewebsites.net/api/burst
}
