package ibm_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/ibm"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/remd/remdtest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// iamServer is a local stand-in for iam.cloud.ibm.com's API-key grant.
func iamServer(t testing.TB, apiKey string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost ||
			r.Form.Get("grant_type") != "urn:ibm:params:oauth:grant-type:apikey" {
			http.Error(w, `{"errorMessage":"bad grant"}`, http.StatusBadRequest)
			return
		}
		if r.Form.Get("apikey") != apiKey {
			http.Error(w, `{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found"}`, http.StatusBadRequest)
			return
		}
		i := n.Add(1)
		fmt.Fprintf(w, `{"access_token":"iam-token-%d","refresh_token":"r","token_type":"Bearer","expires_in":3600,"expiration":%d}`,
			i, 1<<40)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// gateway stands in front of the worker like an authenticating ingress:
// it forwards only requests bearing an IAM token.
func gateway(t testing.TB, workerAddr string) *httptest.Server {
	target, _ := url.Parse("http://" + workerAddr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer iam-token-") {
			http.Error(w, "no IAM token", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func startWorker(t testing.TB, env ...string) string {
	return httpfntest.StartWorker(t, "code-engine-app", func(port int) []string {
		return []string{"CE_APP=burst-worker", "CE_REVISION=burst-worker-00001", "K_SERVICE=burst-worker", fmt.Sprintf("PORT=%d", port)}
	}, env...).Addr
}

func TestConformance(t *testing.T) {
	iam, _ := iamServer(t, "my-api-key")
	httpfntest.Conformance(t, func(t *testing.T, env []string) driver.Backend {
		gw := gateway(t, startWorker(t, env...))
		b, err := ibm.New(ibm.Options{URL: gw.URL, Secret: []byte(httpfntest.Secret), APIKey: "my-api-key", IAMEndpoint: iam.URL})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, 64<<10, testRejection)
}

func TestCallsWithIAMToken(t *testing.T) {
	iam, exchanges := iamServer(t, "my-api-key")
	gw := gateway(t, startWorker(t))
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	t.Setenv("TEST_IBM_KEY", "my-api-key")
	p, err := pool.Open(context.Background(), "ibm://"+strings.TrimPrefix(gw.URL, "http://")+
		"?tls=false&apikey_env=TEST_IBM_KEY&iam_endpoint="+url.QueryEscape(iam.URL), pool.WithLimit(8))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range 20 {
		if y, err := pooltest.Square.Call(context.Background(), p, i); err != nil || y != i*i {
			t.Fatalf("Call(%d) = %d, %v", i, y, err)
		}
	}
	if n := exchanges.Load(); n != 1 {
		t.Errorf("IAM token exchanged %d times, want once (cached)", n)
	}
}

func TestBadAPIKeyIsAClearError(t *testing.T) {
	iam, _ := iamServer(t, "right")
	b, err := ibm.New(ibm.Options{URL: "http://127.0.0.1:1", Secret: []byte("s"), APIKey: "wrong", IAMEndpoint: iam.URL})
	if err != nil {
		t.Fatal(err)
	}
	p := pool.New(b)
	defer p.Close()
	_, err = pooltest.Square.Call(context.Background(), p, 2)
	if err == nil || !strings.Contains(err.Error(), "could not be found") || pool.IsRetryable(err) {
		t.Fatalf("err = %v, want final error quoting IAM's answer", err)
	}
}

func testRejection(t *testing.T) {
	addr := startWorker(t)
	httpfntest.TestRejection(t, httpfntest.SquareEnvelope(t, 3), httpfntest.PostTo("http://"+addr))
}

func TestOptionsFromURL(t *testing.T) {
	t.Setenv("K", "key")
	t.Setenv(ibm.DefaultAPIKeyEnv, "")
	cases := []struct {
		in, wantURL, wantKey, wantErr string
	}{
		{in: "ibm://app.x.us-south.codeengine.appdomain.cloud", wantURL: "https://app.x.us-south.codeengine.appdomain.cloud"},
		{in: "ibm://h/p?apikey_env=K", wantURL: "https://h/p", wantKey: "key"},
		{in: "ibm://h?apikey_env=UNSET_VAR", wantErr: "UNSET_VAR"},
		{in: "ibm://h?region=eu", wantErr: `unknown parameter "region"`},
		{in: "ibm://", wantErr: "no host"},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.in)
		o, err := ibm.OptionsFromURL(u)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want one mentioning %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || o.URL != c.wantURL || o.APIKey != c.wantKey {
			t.Errorf("%s: got URL %q key %q err %v; want %q %q", c.in, o.URL, o.APIKey, err, c.wantURL, c.wantKey)
		}
	}
}

func TestRemdIdentical(t *testing.T) {
	iam, _ := iamServer(t, "k")
	gw := gateway(t, startWorker(t))
	b, err := ibm.New(ibm.Options{URL: gw.URL, Secret: []byte(httpfntest.Secret), APIKey: "k", IAMEndpoint: iam.URL})
	if err != nil {
		t.Fatal(err)
	}
	p := pool.New(b, pool.WithLimit(5))
	defer p.Close()
	remdtest.Identical(t, p)
}
