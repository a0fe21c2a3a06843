package pooltest_test

import (
	"context"
	"os"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/pool/process"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

func openURL(url string) func(t *testing.T, opts ...pool.Option) *pool.Pool {
	return func(t *testing.T, opts ...pool.Option) *pool.Pool {
		p, err := pool.Open(context.Background(), url, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
}

func TestLocal(t *testing.T) {
	pooltest.Run(t, pooltest.Harness{Open: openURL("local://"), CancelReachesFunction: true})
}

func TestLocalEncoded(t *testing.T) {
	pooltest.Run(t, pooltest.Harness{Open: openURL("local://?encode=1"), Remote: true, CancelReachesFunction: true, InProcess: true})
}

func TestProcess(t *testing.T) {
	pooltest.Run(t, pooltest.Harness{
		Open:                  openURL("process://?workers=2"),
		Remote:                true,
		CancelReachesFunction: true,
		OpenOtherBuild: func(t *testing.T) *pool.Pool {
			b, err := process.New(context.Background(), process.Options{Workers: 1, Env: []string{"BURST_BUILD_ID=another-build"}})
			if err != nil {
				t.Fatal(err)
			}
			p := pool.New(b)
			t.Cleanup(func() { p.Close() })
			return p
		},
	})
}

// TestProcessStdio runs the suite over transport=stdio, the only transport
// on Windows, so that its code path is tested on every OS.
func TestProcessStdio(t *testing.T) {
	pooltest.Run(t, pooltest.Harness{
		Open:                  openURL("process://?workers=2&transport=stdio"),
		Remote:                true,
		CancelReachesFunction: true,
		OpenOtherBuild: func(t *testing.T) *pool.Pool {
			b, err := process.New(context.Background(), process.Options{Workers: 1, Transport: "stdio", Env: []string{"BURST_BUILD_ID=another-build"}})
			if err != nil {
				t.Fatal(err)
			}
			p := pool.New(b)
			t.Cleanup(func() { p.Close() })
			return p
		},
	})
}
