package httpfntest

import (
	"net/url"
	"testing"
)

// FuzzOptionsFromURL fuzzes the URL reader of the backend registered as
// scheme (its OptionsFromURL): any URL's parameters are read or refused
// with an error, never a panic.
func FuzzOptionsFromURL[O any](f *testing.F, scheme string, optionsFromURL func(*url.URL) (O, error)) {
	for _, q := range []string{"", "?concurrency=4&timeout=30s", "?workers=-1&memory=99999999999999999999", "?timeout=1e400h&x=%zz"} {
		f.Add(scheme + "://fn" + q)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		_, _ = optionsFromURL(u)
	})
}
