package azure_test

import (
	"testing"

	"github.com/burst-dev/burst/pool/azure"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
)

func FuzzOptionsFromURL(f *testing.F) {
	httpfntest.FuzzOptionsFromURL(f, azure.Scheme, azure.OptionsFromURL)
}
