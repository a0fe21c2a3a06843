package remdtest_test

import (
	"context"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/remdtest"
)

func TestIdenticalOnEncodedLocal(t *testing.T) {
	p, err := pool.Open(context.Background(), "local://?encode=1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	remdtest.Identical(t, p)
}
