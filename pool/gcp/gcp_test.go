package gcp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/gcp"
	"github.com/burst-dev/burst/pool/gcp/gcpworker"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/remd/remdtest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// startFunction runs the test binary as Cloud Run functions would: the
// Functions Framework serving FUNCTION_TARGET on $PORT.
func startFunction(t testing.TB, env ...string) string {
	return httpfntest.StartWorker(t, "gcp-function", func(port int) []string {
		return []string{"FUNCTION_TARGET=" + gcpworker.EntryPoint, "K_SERVICE=burst-worker", "K_REVISION=burst-worker-00001-abc",
			fmt.Sprintf("PORT=%d", port)}
	}, env...).Addr
}

const idToken = "eyJ.test-id-token.sig"

func TestConformance(t *testing.T) {
	httpfntest.Conformance(t, func(t *testing.T, env []string) driver.Backend {
		// The gateway plays Cloud Run's IAM check of the ID token.
		gw := httpfntest.Gateway(t, startFunction(t, env...), func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer "+idToken
		})
		b, err := gcp.New(context.Background(), gcp.Options{URL: gw.URL + "/", Secret: []byte(httpfntest.Secret),
			TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: idToken})})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, 64<<10, testRejection)
}

func testRejection(t *testing.T) {
	addr := startFunction(t)
	httpfntest.TestRejection(t, httpfntest.SquareEnvelope(t, 4), httpfntest.PostTo("http://"+addr))
}

func TestOptionsFromURL(t *testing.T) {
	t.Setenv("TOK", "idtok")
	cases := []struct{ in, wantURL, wantTok, wantErr string }{
		{in: "gcp://proj/europe-west1/burst", wantURL: "https://europe-west1-proj.cloudfunctions.net/burst"},
		{in: "gcp://?url=https://burst-abc-ew.a.run.app&token_env=TOK", wantURL: "https://burst-abc-ew.a.run.app", wantTok: "idtok"},
		{in: "gcp://proj/burst", wantErr: "PROJECT/REGION/FUNCTION"},
		{in: "gcp://proj/r/f?zone=a", wantErr: `unknown parameter "zone"`},
		{in: "gcp://proj/r/f?token_env=NOT_SET_X", wantErr: "NOT_SET_X"},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.in)
		o, err := gcp.OptionsFromURL(u)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want one mentioning %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || o.URL != c.wantURL || o.IDToken != c.wantTok {
			t.Errorf("%s: got URL %q token %q err %v; want %q %q", c.in, o.URL, o.IDToken, err, c.wantURL, c.wantTok)
		}
	}
}

func TestRemdIdentical(t *testing.T) {
	b, err := gcp.New(context.Background(), gcp.Options{URL: "http://" + startFunction(t) + "/", Secret: []byte(httpfntest.Secret), Unauthenticated: true})
	if err != nil {
		t.Fatal(err)
	}
	p := pool.New(b, pool.WithLimit(5))
	defer p.Close()
	remdtest.Identical(t, p)
}
