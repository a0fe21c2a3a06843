package knative_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/knative"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/remd/remdtest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

func startWorker(t testing.TB, env ...string) string {
	w := httpfntest.StartWorker(t, "knative-worker", func(port int) []string {
		return []string{"K_SERVICE=burst-test", "K_REVISION=burst-test-00001", fmt.Sprintf("PORT=%d", port)}
	}, env...)
	return w.Addr
}

func open(t testing.TB, addr string, opts ...pool.Option) *pool.Pool {
	t.Helper()
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	p, err := pool.Open(context.Background(), "knative://"+addr+"?tls=false&cloudevents=true", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestConformance(t *testing.T) {
	httpfntest.Conformance(t, func(t *testing.T, env []string) driver.Backend {
		b, err := knative.New(knative.Options{URL: "http://" + startWorker(t, env...), Secret: []byte(httpfntest.Secret), CloudEvents: true})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, 64<<10, testRejection)
}

func TestOpenByURL(t *testing.T) {
	p := open(t, startWorker(t))
	if y, err := pooltest.Square.Call(context.Background(), p, 9); err != nil || y != 81 {
		t.Fatalf("Call = %d, %v; want 81", y, err)
	}
}

func testRejection(t *testing.T) {
	addr := startWorker(t)
	body := httpfntest.SquareEnvelope(t, 3)
	httpfntest.TestRejection(t, body, httpfntest.PostTo("http://"+addr))
}

func TestWorkerWithoutSecretDoesNotServe(t *testing.T) {
	// A deployment that forgot BURST_SECRET must fail loudly, not run calls
	// unauthenticated.
	cmd := reexec(t, "K_SERVICE=x", "PORT=1", httpfn.EnvSecret+"=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), httpfn.EnvSecret) {
		t.Fatalf("worker without secret: err = %v, output %q; want exit ≠ 0 naming %s", err, out, httpfn.EnvSecret)
	}
}

func TestOptionsFromURL(t *testing.T) {
	t.Setenv("KN_TOKEN", "tok")
	t.Setenv("MY_SECRET", "s3")
	cases := []struct {
		in      string
		want    knative.Options
		wantErr string
	}{
		{in: "knative://svc.example.com/run?secret_env=MY_SECRET", want: knative.Options{URL: "https://svc.example.com/run", Secret: []byte("s3")}},
		{in: "knative://10.0.0.1:8080?tls=false&token_env=KN_TOKEN&concurrency=7&secret_env=MY_SECRET",
			want: knative.Options{URL: "http://10.0.0.1:8080", Token: "tok", Concurrency: 7, Secret: []byte("s3")}},
		{in: "knative://svc?tls=maybe", wantErr: "tls"},
		{in: "knative://svc?colour=red", wantErr: `unknown parameter "colour"`},
		{in: "knative:///path", wantErr: "no host"},
		{in: "knative://svc?token_env=NOPE_UNSET", wantErr: "NOPE_UNSET"},
		{in: "knative://svc?concurrency=0", wantErr: "concurrency"},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.in)
		got, err := knative.OptionsFromURL(u)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want one mentioning %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || got.URL != c.want.URL || got.Token != c.want.Token || got.Concurrency != c.want.Concurrency || string(got.Secret) != string(c.want.Secret) {
			t.Errorf("%s: got %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestOpenWithoutSecretFails(t *testing.T) {
	t.Setenv(httpfn.EnvSecret, "")
	_, err := pool.Open(context.Background(), "knative://127.0.0.1:1?tls=false")
	if err == nil || !strings.Contains(err.Error(), httpfn.EnvSecret) {
		t.Fatalf("err = %v, want one naming %s", err, httpfn.EnvSecret)
	}
}

func TestRemdIdentical(t *testing.T) {
	remdtest.Identical(t, open(t, startWorker(t), pool.WithLimit(5)))
}
