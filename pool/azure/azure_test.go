package azure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/azure"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/remd/remdtest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

const functionKey = "test-function-key"

func startHandler(t testing.TB, env ...string) string {
	return httpfntest.StartWorker(t, "azure-custom-handler", func(port int) []string {
		return []string{fmt.Sprintf("%s=%d", azure.EnvPort, port), "WEBSITE_INSTANCE_ID=instance-0"}
	}, env...).Addr
}

// forwardingHost plays the Functions host with enableForwardingHttpRequest:
// it checks the function key and forwards the request unchanged.
func forwardingHost(t testing.TB, handler string) *httptest.Server {
	return httpfntest.Gateway(t, handler, func(r *http.Request) bool {
		return r.Header.Get("x-functions-key") == functionKey && r.URL.Path == "/api/burst"
	})
}

// envelopeHost plays the Functions host without forwarding: it wraps the
// HTTP request into the invocation envelope, POSTs it to /FUNCTION on the
// custom handler, and turns Outputs.res back into the HTTP response, as
// described in Microsoft's custom handler documentation.
func envelopeHost(t testing.TB, handler string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-functions-key") != functionKey {
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		fn := strings.TrimPrefix(r.URL.Path, "/api/")
		body, _ := io.ReadAll(r.Body)
		inv := map[string]any{
			"Data": map[string]any{"req": map[string]any{
				"Url": "http://" + r.Host + r.URL.String(), "Method": r.Method, "Query": map[string]any{},
				"Headers": r.Header, "Params": map[string]any{}, "Body": string(body),
			}},
			"Metadata": map[string]any{"sys": map[string]any{"MethodName": fn, "UtcNow": "2026-01-01T00:00:00Z"}},
		}
		b, _ := json.Marshal(inv)
		hreq, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://"+handler+"/"+fn, bytes.NewReader(b))
		hreq.Header.Set("Content-Type", "application/json")
		res, err := httpfntest.LoopbackClient.Do(hreq)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer res.Body.Close()
		var out struct {
			Outputs struct {
				Res struct {
					StatusCode int               `json:"statusCode"`
					Headers    map[string]string `json:"headers"`
					Body       string            `json:"body"`
				} `json:"res"`
			}
			Logs        []string
			ReturnValue any
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			http.Error(w, fmt.Sprintf("bad custom handler answer (%d): %v", res.StatusCode, err), http.StatusInternalServerError)
			return
		}
		for k, v := range out.Outputs.Res.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(out.Outputs.Res.StatusCode)
		io.WriteString(w, out.Outputs.Res.Body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func openPool(t *testing.T, host *httptest.Server) *pool.Pool {
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	t.Setenv("TEST_FN_KEY", functionKey)
	p, err := pool.Open(context.Background(), "azure://?key_env=TEST_FN_KEY&url="+url.QueryEscape(host.URL+"/api/burst"), pool.WithLimit(8))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func conformance(t *testing.T, host func(testing.TB, string) *httptest.Server) {
	httpfntest.Conformance(t, func(t *testing.T, env []string) driver.Backend {
		h := host(t, startHandler(t, env...))
		b, err := azure.New(azure.Options{URL: h.URL + "/api/burst", Key: functionKey, Secret: []byte(httpfntest.Secret)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, 64<<10, testRejection)
}

func TestConformanceForwarded(t *testing.T) { conformance(t, forwardingHost) }

func TestConformanceInvocationEnvelopes(t *testing.T) { conformance(t, envelopeHost) }

func TestOpenByURL(t *testing.T) {
	p := openPool(t, forwardingHost(t, startHandler(t)))
	if y, err := pooltest.Square.Call(context.Background(), p, 9); err != nil || y != 81 {
		t.Fatalf("Call = %d, %v; want 81", y, err)
	}
}

func testRejection(t *testing.T) {
	handler := startHandler(t)
	body := httpfntest.SquareEnvelope(t, 5)
	for _, host := range []*httptest.Server{forwardingHost(t, handler), envelopeHost(t, handler)} {
		send := httpfntest.PostTo(host.URL + "/api/burst")
		httpfntest.TestRejection(t, body, func(ctx context.Context, body []byte, sig *httpfn.Signature) (bool, bool, error) {
			ctx = context.WithValue(ctx, httpfntest.HeaderKey{}, http.Header{"X-Functions-Key": {functionKey}})
			return send(ctx, body, sig)
		})
	}
}

func TestOptionsFromURL(t *testing.T) {
	t.Setenv(azure.DefaultKeyEnv, "k1")
	cases := []struct{ in, wantURL, wantKey, wantErr string }{
		{in: "azure://myapp/burst", wantURL: "https://myapp.azurewebsites.net/api/burst", wantKey: "k1"},
		{in: "azure://?url=https://x.example/api/f", wantURL: "https://x.example/api/f", wantKey: "k1"},
		{in: "azure://myapp", wantErr: "APP/FUNCTION"},
		{in: "azure://a/b?key_env=UNSET_KEY_VAR", wantErr: "UNSET_KEY_VAR"},
		{in: "azure://a/b?slot=x", wantErr: `unknown parameter "slot"`},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.in)
		o, err := azure.OptionsFromURL(u)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want one mentioning %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || o.URL != c.wantURL || o.Key != c.wantKey {
			t.Errorf("%s: got %q %q %v; want %q %q", c.in, o.URL, o.Key, err, c.wantURL, c.wantKey)
		}
	}
}

func TestRemdIdentical(t *testing.T) {
	remdtest.Identical(t, openPool(t, envelopeHost(t, startHandler(t))))
}
