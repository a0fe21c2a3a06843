package openwhisk_test

import (
	"net/url"
	"testing"

	"github.com/burst-dev/burst/pool/openwhisk"
)

// Any URL's parameters are read or refused with an error: never a panic.
func FuzzOptionsFromURL(f *testing.F) {
	for _, s := range []string{"openwhisk://fn", "openwhisk://fn?concurrency=4&timeout=30s", "openwhisk://fn?workers=-1&memory=99999999999999999999", "openwhisk://fn?timeout=1e400h&x=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		_, _ = openwhisk.OptionsFromURL(u)
	})
}
