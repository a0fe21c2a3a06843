package knative_test

import (
	"testing"

	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/knative"
)

func FuzzOptionsFromURL(f *testing.F) {
	httpfntest.FuzzOptionsFromURL(f, knative.Scheme, knative.OptionsFromURL)
}
