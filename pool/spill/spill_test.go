package spill_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/spill"
)

var size = pool.Register("spill.size", func(ctx context.Context, b []byte) ([]byte, error) {
	return bytes.Repeat(b, 2), nil
})

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, err := spill.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(ctx, "burst-spill/job/1.in", []byte("payload")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "burst-spill/job/1.in")
	if err != nil || string(got) != "payload" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.Delete(ctx, "burst-spill/job/1.in"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "burst-spill/job/1.in"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get after Delete: %v, want fs.ErrNotExist", err)
	}
}

// Inputs and outputs over the threshold travel through the store both ways,
// and nothing is left behind.
func TestLargePayloadsTravelThroughTheStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := spill.Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := driver.Handler{Store: s, Threshold: 1000}
	var sawRef, sawOutRef bool
	b := backendFunc(func(ctx context.Context, req *driver.Request) (*driver.Response, error) {
		sawRef = sawRef || req.InputRef != ""
		resp := h.Handle(ctx, req)
		sawOutRef = sawOutRef || resp.OutputRef != ""
		return resp, nil
	})
	p := pool.New(b, pool.WithSpill(s, 1000))
	in := bytes.Repeat([]byte("x"), 5000)
	out, err := size.Call(ctx, p, in)
	if err != nil || len(out) != 10000 {
		t.Fatalf("Call = %d bytes, %v", len(out), err)
	}
	if !sawRef || !sawOutRef {
		t.Fatalf("input spilled %v, output spilled %v; want both", sawRef, sawOutRef)
	}
	left, _ := fs.Glob(fsOf(t, dir), "burst-spill/*/*")
	if len(left) != 0 {
		t.Fatalf("spilled objects left behind: %v", left)
	}
}

func TestHandlerFromEnv(t *testing.T) {
	t.Setenv(spill.EnvURL, "")
	if h, err := spill.HandlerFromEnv(context.Background()); err != nil || h.Store != nil {
		t.Fatalf("no URL: %+v, %v; want a plain handler", h, err)
	}
	t.Setenv(spill.EnvURL, "file://"+t.TempDir())
	t.Setenv(spill.EnvThreshold, "lots")
	if _, err := spill.HandlerFromEnv(context.Background()); err == nil || !strings.Contains(err.Error(), spill.EnvThreshold) {
		t.Fatalf("bad threshold: err = %v, want it named", err)
	}
	t.Setenv(spill.EnvThreshold, "4096")
	h, err := spill.HandlerFromEnv(context.Background())
	if err != nil || h.Store == nil || h.Threshold != 4096 {
		t.Fatalf("HandlerFromEnv = %+v, %v", h, err)
	}
}

type backendFunc func(context.Context, *driver.Request) (*driver.Response, error)

func (f backendFunc) Invoke(ctx context.Context, r *driver.Request) (*driver.Response, error) {
	return f(ctx, r)
}
func (f backendFunc) Limit() int   { return 1 }
func (f backendFunc) Close() error { return nil }
