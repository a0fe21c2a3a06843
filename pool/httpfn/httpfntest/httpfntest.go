// Package httpfntest helps test HTTP pool backends through their real worker
// path: it re-executes the test binary with a platform's environment, so
// pool.Main detects the platform exactly as in production, and it checks that
// a worker refuses unsigned, forged, stale and replayed calls.
package httpfntest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// Secret is the shared secret test workers are started with.
const Secret = "test-secret-0123456789"

// StartWorker re-executes the test binary (whose TestMain must call
// pool.Main) as a worker listening on 127.0.0.1 and returns its address.
// env returns the platform's variables for the chosen port; extra are added.
func StartWorker(t testing.TB, name string, env func(port int) []string, extra ...string) *testenv.Process {
	t.Helper()
	port := testenv.FreePort(t)
	vars := append([]string{httpfn.EnvListenHost + "=127.0.0.1", httpfn.EnvSecret + "=" + Secret}, env(port)...)
	vars = append(vars, extra...)
	return testenv.Start(t, name, "127.0.0.1:"+strconv.Itoa(port), vars, os.Args[0], "-test.run=^$", "-test.bench=^$")
}

// Send delivers one envelope with the given signature (nil: unsigned) the way
// the platform would and reports whether it ran (ok) or was refused
// (rejected); anything else is a test failure the function reports itself.
type Send func(ctx context.Context, body []byte, sig *httpfn.Signature) (ok, rejected bool, err error)

// Envelope returns a call envelope for the registered function name with a
// JSON input, built by this binary (so its build id matches).
func Envelope(t testing.TB, name string, input any) []byte {
	t.Helper()
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(&driver.Request{Version: driver.ProtocolVersion, Func: name, Job: "test", ID: 1, Attempt: 1,
		Codec: "json", Build: driver.BuildID(), Input: in})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRejection checks, through send, that a worker runs a correctly signed
// call once and refuses it unsigned, signed with another secret, signed too
// long ago, tampered with, or sent a second time.
func TestRejection(t *testing.T, body []byte, send Send) {
	ctx := context.Background()
	now := time.Now()
	good := httpfn.Sign([]byte(Secret), body, now)
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-2] ^= 1 // inside the closing of the input
	cases := []struct {
		name string
		body []byte
		sig  *httpfn.Signature
		ok   bool
	}{
		{"signed", body, &good, true},
		{"replayed", body, &good, false},
		{"unsigned", body, nil, false},
		{"other secret", body, ptr(httpfn.Sign([]byte("not the secret"), body, now)), false},
		{"stale", body, ptr(httpfn.Sign([]byte(Secret), body, now.Add(-time.Hour))), false},
		{"from the future", body, ptr(httpfn.Sign([]byte(Secret), body, now.Add(time.Hour))), false},
		{"tampered body", tampered, ptr(httpfn.Sign([]byte(Secret), body, now)), false},
	}
	for _, c := range cases {
		ok, rejected, err := send(ctx, c.body, c.sig)
		if err != nil {
			t.Fatalf("%s: send: %v", c.name, err)
		}
		if ok != c.ok || rejected == c.ok {
			t.Errorf("%s: ran=%v rejected=%v, want ran=%v rejected=%v", c.name, ok, rejected, c.ok, !c.ok)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// HeaderKey is a context key whose http.Header value PostTo adds to its
// request (platform credentials).
type HeaderKey struct{}

// PostTo is a Send that POSTs the envelope to url with the signature in
// headers, as the driver does; 401 counts as refused.
func PostTo(url string) Send {
	return func(ctx context.Context, body []byte, sig *httpfn.Signature) (bool, bool, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return false, false, err
		}
		if sig != nil {
			sig.SetHeader(r.Header)
		}
		if h, ok := ctx.Value(HeaderKey{}).(http.Header); ok {
			for k, v := range h {
				r.Header[k] = v
			}
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			return false, false, err
		}
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
		return res.StatusCode == http.StatusOK, res.StatusCode == http.StatusUnauthorized, nil
	}
}

// Gateway stands in front of a worker like the platform's authenticating
// front end: it forwards only requests that allow accepts, and answers 401
// otherwise. It records the requests it forwarded.
func Gateway(t testing.TB, workerAddr string, allow func(*http.Request) bool) *httptest.Server {
	target, _ := url.Parse("http://" + workerAddr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = loopbackTransport
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allow(r) {
			http.Error(w, "gateway: not authorised", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// loopbackTransport keeps enough idle connections for parallel benchmarks,
// so stand-ins for platform front ends do not measure connection set-up.
var loopbackTransport = httpfn.DefaultHTTPClient(64).Transport

// LoopbackClient is an HTTP client for such stand-ins.
var LoopbackClient = &http.Client{Transport: loopbackTransport}
