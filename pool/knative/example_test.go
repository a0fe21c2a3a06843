package knative_test

import (
	"fmt"
	"net/url"

	"github.com/burst-dev/burst/pool/knative"
)

// A knative:// URL names the service; secrets come from environment
// variables, never from the URL.
func ExampleOptionsFromURL() {
	u, _ := url.Parse("knative://burst-worker.default.svc.cluster.local?tls=false&concurrency=32")
	o, err := knative.OptionsFromURL(u)
	fmt.Println(o.URL, o.Concurrency, err)
	// Output: http://burst-worker.default.svc.cluster.local 32 <nil>
}
