package ibm_test

import (
	"testing"

	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/ibm"
)

func FuzzOptionsFromURL(f *testing.F) {
	httpfntest.FuzzOptionsFromURL(f, ibm.Scheme, ibm.OptionsFromURL)
}
