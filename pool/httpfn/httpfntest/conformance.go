package httpfntest

import (
	"context"
	"fmt"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/pool/spill"
)

// Start starts a worker of the backend under test with env added to the
// platform's environment and returns a driver-side Backend calling it.
type Start func(t *testing.T, env []string) driver.Backend

// Conformance runs the pool conformance suite on an HTTP backend: one worker
// for the suite, sharing a file:// payload store with the driver and
// spilling results over spillAt bytes, and one started with another build
// id. extra runs as the suite's backend-specific subtest (signature
// rejection).
func Conformance(t *testing.T, start Start, spillAt int, extra func(t *testing.T)) {
	dir := t.TempDir()
	store, err := spill.Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	env := []string{spill.EnvURL + "=file://" + dir, fmt.Sprintf("%s=%d", spill.EnvThreshold, spillAt)}
	open := func(t *testing.T, env []string, opts ...pool.Option) *pool.Pool {
		p := pool.New(start(t, env), opts...)
		t.Cleanup(func() { p.Close() })
		return p
	}
	pooltest.Run(t, pooltest.Harness{
		Open:           func(t *testing.T, opts ...pool.Option) *pool.Pool { return open(t, env, opts...) },
		OpenOtherBuild: func(t *testing.T) *pool.Pool { return open(t, append(env, "BURST_BUILD_ID=another-build")) },
		Spill:          store,
		SpillThreshold: spillAt,
		Remote:         true,
		Extra:          extra,
	})
}

// SquareEnvelope is a call envelope for pooltest.Square(x).
func SquareEnvelope(t testing.TB, x int) []byte { return Envelope(t, pooltest.Square.Name(), x) }
