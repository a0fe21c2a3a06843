package azure_test

import (
	"net/url"
	"testing"

	"github.com/burst-dev/burst/pool/azure"
)

// Any URL's parameters are read or refused with an error: never a panic.
func FuzzOptionsFromURL(f *testing.F) {
	for _, s := range []string{"azure://fn", "azure://fn?concurrency=4&timeout=30s", "azure://fn?workers=-1&memory=99999999999999999999", "azure://fn?timeout=1e400h&x=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		_, _ = azure.OptionsFromURL(u)
	})
}
