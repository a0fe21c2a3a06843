package slurm_test

import (
	"net/url"
	"testing"

	"github.com/burst-dev/burst/pool/slurm"
)

// Any URL's parameters are read or refused with an error: never a panic.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"slurm://fn", "slurm://fn?concurrency=4&timeout=30s", "slurm://fn?workers=-1&memory=99999999999999999999", "slurm://fn?timeout=1e400h&x=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		_, _ = slurm.ParseURL(u)
	})
}
