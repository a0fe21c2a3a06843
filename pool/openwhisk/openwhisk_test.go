package openwhisk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/openwhisk"
	"github.com/burst-dev/burst/pool/openwhisk/owtest"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/remd/remdtest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

func openPool(t *testing.T, h *owtest.Host, opts ...pool.Option) *pool.Pool {
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	t.Setenv(openwhisk.DefaultAuthEnv, h.Auth())
	p, err := pool.Open(context.Background(), "openwhisk://"+strings.TrimPrefix(h.URL, "http://")+"/guest/burst?tls=false", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestConformance(t *testing.T) {
	httpfntest.Conformance(t, func(t *testing.T, env []string) driver.Backend {
		h := owtest.Start(t, 3, time.Minute, env...)
		b, err := openwhisk.New(openwhisk.Options{APIHost: h.URL, Namespace: "guest", Action: "burst", Auth: h.Auth(),
			Secret: []byte(httpfntest.Secret), Concurrency: 3})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, 64<<10, testRejection)
}

func TestOpenByURL(t *testing.T) {
	p := openPool(t, owtest.Start(t, 1, time.Minute))
	if y, err := pooltest.Square.Call(context.Background(), p, 9); err != nil || y != 81 {
		t.Fatalf("Call = %d, %v; want 81", y, err)
	}
}

func TestLongActivationIsPolledByID(t *testing.T) {
	h := owtest.Start(t, 1, 50*time.Millisecond) // blocking wait shorter than the call
	b, err := openwhisk.New(openwhisk.Options{APIHost: h.URL, Namespace: "guest", Action: "burst", Auth: h.Auth(),
		Secret: []byte(httpfntest.Secret), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p := pool.New(b)
	defer p.Close()
	got, err := pooltest.Sleep.Call(context.Background(), p, 300*time.Millisecond)
	if err != nil || got != 300*time.Millisecond {
		t.Fatalf("Call = %v, %v; want 300ms", got, err)
	}
}

func testRejection(t *testing.T) {
	h := owtest.Start(t, 1, time.Minute)
	body := httpfntest.SquareEnvelope(t, 6)
	httpfntest.TestRejection(t, body, func(ctx context.Context, body []byte, sig *httpfn.Signature) (bool, bool, error) {
		p := map[string]any{"burst_req": string(body)}
		if sig != nil {
			p["burst_ts"], p["burst_nonce"], p["burst_sig"] = sig.Timestamp, sig.Nonce, sig.MAC
		}
		b, _ := json.Marshal(p)
		r, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.URL+"/api/v1/namespaces/guest/actions/burst?blocking=true&result=true", bytes.NewReader(b))
		user, pass, _ := strings.Cut(h.Auth(), ":")
		r.SetBasicAuth(user, pass)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			return false, false, err
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode == 200 && bytes.Contains(out, []byte(`"burst"`)),
			res.StatusCode == http.StatusBadGateway && bytes.Contains(out, []byte(`"rejected":true`)), nil
	})
}

func TestWrongSecretIsRejectedNotRetried(t *testing.T) {
	h := owtest.Start(t, 1, time.Minute)
	b, err := openwhisk.New(openwhisk.Options{APIHost: h.URL, Namespace: "guest", Action: "burst", Auth: h.Auth(), Secret: []byte("other")})
	if err != nil {
		t.Fatal(err)
	}
	p := pool.New(b)
	defer p.Close()
	_, err = pooltest.Square.Call(context.Background(), p, 2)
	if !strings.Contains(err.Error(), "refused") || pool.IsRetryable(err) || p.Stats().Retries != 0 {
		t.Fatalf("err = %v (retries %d), want a refusal, not retried", err, p.Stats().Retries)
	}
}

func TestWrongCredentialsAreAClearError(t *testing.T) {
	h := owtest.Start(t, 1, time.Minute)
	b, _ := openwhisk.New(openwhisk.Options{APIHost: h.URL, Namespace: "guest", Action: "burst", Auth: "u:wrong", Secret: []byte(httpfntest.Secret)})
	p := pool.New(b)
	defer p.Close()
	_, err := pooltest.Square.Call(context.Background(), p, 2)
	if err == nil || !strings.Contains(err.Error(), "401") || pool.IsRetryable(err) {
		t.Fatalf("err = %v, want a final 401", err)
	}
}

func TestTooLargeIsRefusedBeforeSending(t *testing.T) {
	h := owtest.Start(t, 1, time.Minute)
	b, _ := openwhisk.New(openwhisk.Options{APIHost: h.URL, Namespace: "guest", Action: "burst", Auth: h.Auth(), Secret: []byte(httpfntest.Secret)})
	p := pool.New(b)
	defer p.Close()
	_, err := echoLen.Call(context.Background(), p, strings.Repeat("x", 2<<20))
	if !errorsIs(err, pool.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

var echoLen = pool.Register("ow.len", func(ctx context.Context, s string) (int, error) { return len(s), nil })

func TestOptionsFromURL(t *testing.T) {
	t.Setenv(openwhisk.DefaultAuthEnv, "u:k")
	cases := []struct{ in, wantHost, wantNS, wantAction, wantErr string }{
		{in: "openwhisk://ow.example.com/guest/burst", wantHost: "https://ow.example.com", wantNS: "guest", wantAction: "burst"},
		{in: "openwhisk://127.0.0.1:3233/_/pkg/burst?tls=false", wantHost: "http://127.0.0.1:3233", wantNS: "_", wantAction: "pkg/burst"},
		{in: "openwhisk://ow.example.com/burst", wantErr: "NAMESPACE/ACTION"},
		{in: "openwhisk://h/ns/a?auth_env=NOT_SET_OW", wantErr: "NOT_SET_OW"},
		{in: "openwhisk://h/ns/a?blocking=false", wantErr: `unknown parameter "blocking"`},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.in)
		o, err := openwhisk.OptionsFromURL(u)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want one mentioning %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || o.APIHost != c.wantHost || o.Namespace != c.wantNS || o.Action != c.wantAction || o.Auth != "u:k" {
			t.Errorf("%s: got %+v, %v", c.in, o, err)
		}
	}
}

func TestRemdIdentical(t *testing.T) {
	remdtest.Identical(t, openPool(t, owtest.Start(t, 2, time.Minute), pool.WithLimit(2)))
}
