package ibm_test

import (
	"fmt"
	"net/url"

	"github.com/burst-dev/burst/pool/ibm"
)

func ExampleOptionsFromURL() {
	u, _ := url.Parse("ibm://burst-worker.abcd1234.us-south.codeengine.appdomain.cloud?apikey_env=none")
	o, err := ibm.OptionsFromURL(u)
	fmt.Println(o.URL, o.APIKey == "", err)
	// Output: https://burst-worker.abcd1234.us-south.codeengine.appdomain.cloud true <nil>
}
