package openwhisk_test

import (
	"fmt"
	"net/url"
	"os"

	"github.com/burst-dev/burst/pool/openwhisk"
)

func ExampleOptionsFromURL() {
	os.Setenv("BURST_OPENWHISK_AUTH", "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:secretkey")
	u, _ := url.Parse("openwhisk://openwhisk.example.com/guest/burst")
	o, err := openwhisk.OptionsFromURL(u)
	fmt.Println(o.APIHost, o.Namespace, o.Action, err)
	// Output: https://openwhisk.example.com guest burst <nil>
}
