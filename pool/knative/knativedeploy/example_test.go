package knativedeploy_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/burst-dev/burst/pool/knative/knativedeploy"
)

// Deploy a linux build of the program as a Knative Service (what burst
// deploy does from burst.yaml).
func Example() {
	res, err := knativedeploy.Deploy(context.Background(), knativedeploy.Options{
		APIServer: "https://k8s.example.com:6443", Token: os.Getenv("KUBE_TOKEN"), Namespace: "burst",
		Service: "burst-worker", Image: "registry.example.com/me/burst-worker",
		Binary: "burst-worker", BuildID: "go-1234", Secret: []byte(os.Getenv("BURST_SECRET")),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.URL, res.Changed, res.Pushed)
}
