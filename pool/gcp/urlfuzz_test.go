package gcp_test

import (
	"testing"

	"github.com/burst-dev/burst/pool/gcp"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
)

func FuzzOptionsFromURL(f *testing.F) {
	httpfntest.FuzzOptionsFromURL(f, gcp.Scheme, gcp.OptionsFromURL)
}
