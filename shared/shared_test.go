package shared_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/burst-dev/burst/shared"
	"github.com/burst-dev/burst/shared/sharedtest"
)

var nsSeq atomic.Int64

func TestMemConformance(t *testing.T) {
	sharedtest.Run(t, func(t *testing.T) *shared.Client {
		ns := fmt.Sprintf("memtest-%d", nsSeq.Add(1))
		c, err := shared.Open(context.Background(), "mem://?namespace="+ns)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			c.Drop(context.Background(), ns)
			c.Close()
		})
		return c
	})
}

func TestMemStoresAreSharedWithinTheProcessByName(t *testing.T) {
	ctx := context.Background()
	open := func(u string) *shared.Client {
		c, err := shared.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Drop(ctx, c.Namespace()); c.Close() })
		return c
	}
	a, b, other := open("mem://?namespace=sharing"), open("mem://?namespace=sharing"), open("mem://elsewhere?namespace=sharing")
	if err := shared.NewMap[string, int](a, "m").Store(ctx, "k", 1); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := shared.NewMap[string, int](b, "m").Load(ctx, "k"); !ok || v != 1 {
		t.Errorf("second Open of mem:// does not see the first's map: %v %v", v, ok)
	}
	if _, ok, _ := shared.NewMap[string, int](other, "m").Load(ctx, "k"); ok {
		t.Error("mem://elsewhere sees mem://'s map")
	}
}

func TestOpenRejectsBadURLs(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"", "no scheme"},
		{"localhost:6379", "unknown scheme"},
		{"ftp://x", `unknown scheme "ftp"`},
		{"redis://127.0.0.1:1", "import _ \"github.com/burst-dev/burst/shared/redis\""},
		{"mem://?namespace=", "namespace"},
		{"mem://?namespace=a*b", "namespace"},
		{"mem:///path", "want mem:// or mem://name"},
		{"mem://?size=3", "want mem:// or mem://name"},
		{"%zz://x", "invalid"},
	}
	for _, tc := range tests {
		c, err := shared.Open(context.Background(), tc.url)
		if err == nil {
			c.Close()
			t.Errorf("Open(%q) succeeded, want an error mentioning %q", tc.url, tc.want)
			continue
		}
		if !errors.Is(err, shared.ErrBadInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v; want ErrBadInput mentioning %q", tc.url, err, tc.want)
		}
	}
}
