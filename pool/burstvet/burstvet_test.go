package burstvet_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/burst-dev/burst/pool/burstvet"
)

func TestReports(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), burstvet.Analyzer, "ported", "unported", "clean", "lib")
}
