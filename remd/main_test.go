package remd

import (
	"os"
	"testing"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
	_ "github.com/burst-dev/burst/remd/engine/model"
)

// The test binary is also the worker binary of process:// pools.
func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}
