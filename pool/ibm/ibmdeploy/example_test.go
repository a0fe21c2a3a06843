package ibmdeploy_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/burst-dev/burst/pool/ibm/ibmdeploy"
)

// Deploy a linux build of the program as a Code Engine application (what
// burst deploy does from burst.yaml).
func Example() {
	res, err := ibmdeploy.Deploy(context.Background(), ibmdeploy.Options{
		Project: "0f1e2d3c-project-id", Region: "us-south", App: "burst-worker",
		Image:  "icr.io/me/burst-worker",
		Binary: "burst-worker", BuildID: "go-1234",
		Secret: []byte(os.Getenv("BURST_SECRET")), APIKey: os.Getenv("IBMCLOUD_API_KEY"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.URL, res.Changed, res.Pushed)
}
