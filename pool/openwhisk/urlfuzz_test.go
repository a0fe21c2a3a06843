package openwhisk_test

import (
	"testing"

	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/openwhisk"
)

func FuzzOptionsFromURL(f *testing.F) {
	httpfntest.FuzzOptionsFromURL(f, openwhisk.Scheme, openwhisk.OptionsFromURL)
}
