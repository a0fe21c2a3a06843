package httpfn_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
)

var upper = pool.Register("httpfn.upper", func(ctx context.Context, s string) (string, error) {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b), nil
})

func TestHandlerRunsSignedCallsAndRefusesTheRest(t *testing.T) {
	srv := httptest.NewServer(httpfn.NewHandler([]byte(httpfntest.Secret)))
	defer srv.Close()
	body := httpfntest.Envelope(t, upper.Name(), "abc")
	httpfntest.TestRejection(t, body, func(ctx context.Context, body []byte, sig *httpfn.Signature) (bool, bool, error) {
		r, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, bytesReader(body))
		if sig != nil {
			sig.SetHeader(r.Header)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			return false, false, err
		}
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
		return res.StatusCode == 200, res.StatusCode == 401, nil
	})
}

func TestClientRoundTrip(t *testing.T) {
	srv := httptest.NewServer(httpfn.NewHandler([]byte(httpfntest.Secret)))
	defer srv.Close()
	p := pool.New(&httpfn.Client{Name: "test", URL: srv.URL, Secret: []byte(httpfntest.Secret), Concurrency: 4})
	defer p.Close()
	got, err := upper.Map(context.Background(), p, []string{"a", "b", "c"})
	if err != nil || len(got) != 3 || got[0] != "A" || got[2] != "C" {
		t.Fatalf("Map = %q, %v; want [A B C]", got, err)
	}
}

func TestClientWithWrongSecretIsRejectedNotRetried(t *testing.T) {
	srv := httptest.NewServer(httpfn.NewHandler([]byte(httpfntest.Secret)))
	defer srv.Close()
	p := pool.New(&httpfn.Client{Name: "test", URL: srv.URL, Secret: []byte("wrong")})
	defer p.Close()
	_, err := upper.Call(context.Background(), p, "x")
	if !errors.Is(err, httpfn.ErrRejected) || pool.IsRetryable(err) {
		t.Fatalf("err = %v, want ErrRejected and not retryable", err)
	}
	if st := p.Stats(); st.Retries != 0 {
		t.Fatalf("Retries = %d, want 0", st.Retries)
	}
}

func TestStatusMapping(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter string
		want       error
		wantAfter  time.Duration
	}{
		{429, "7", pool.ErrThrottled, 7 * time.Second},
		{429, "", pool.ErrThrottled, 0},
		{503, "2", pool.ErrTransient, 2 * time.Second},
		{502, "", pool.ErrTransient, 0},
		{504, "", pool.ErrTransient, 0},
		{500, "", pool.ErrWorkerLost, 0},
		{413, "", pool.ErrTooLarge, 0},
		{404, "", nil, 0},
		{403, "", nil, 0},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c.retryAfter != "" {
				w.Header().Set("Retry-After", c.retryAfter)
			}
			w.WriteHeader(c.status)
			io.WriteString(w, "platform says no")
		}))
		cl := &httpfn.Client{Name: "test", URL: srv.URL, Secret: []byte("s")}
		_, err := cl.Invoke(context.Background(), &driver.Request{Version: 1, Func: "f"})
		srv.Close()
		if err == nil {
			t.Fatalf("%d: no error", c.status)
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%d: err = %v, want %v", c.status, err, c.want)
		}
		if c.want == nil && pool.IsRetryable(err) {
			t.Errorf("%d: err = %v is retryable, want final", c.status, err)
		}
		var ra *driver.RetryAfter
		if got := errors.As(err, &ra); got != (c.wantAfter > 0) || got && ra.After != c.wantAfter {
			t.Errorf("%d: RetryAfter = %v (%v), want %v", c.status, ra, got, c.wantAfter)
		}
	}
}

func TestThrottledCallIsRetriedAfterRetryAfter(t *testing.T) {
	h := httpfn.NewHandler([]byte(httpfntest.Secret))
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n++; n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	p := pool.New(&httpfn.Client{Name: "test", URL: srv.URL, Secret: []byte(httpfntest.Secret), Concurrency: 1},
		pool.WithBackoff(time.Millisecond, time.Millisecond))
	defer p.Close()
	start := time.Now()
	got, err := upper.Call(context.Background(), p, "q")
	if err != nil || got != "Q" {
		t.Fatalf("Call = %q, %v", got, err)
	}
	// Not a timing assertion of speed: the pool must not retry before the
	// platform's Retry-After, which is a correctness property.
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("retried after %v, before the Retry-After of 1s", waited)
	}
}

func TestUnreachableIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	cl := &httpfn.Client{Name: "test", URL: url, Secret: []byte("s")}
	_, err := cl.Invoke(context.Background(), &driver.Request{Version: 1})
	if !errors.Is(err, pool.ErrTransient) {
		t.Fatalf("err = %v, want ErrTransient", err)
	}
}

func TestTooLargeIsRefusedBeforeSending(t *testing.T) {
	sent := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { sent = true }))
	defer srv.Close()
	cl := &httpfn.Client{Name: "test", URL: srv.URL, Secret: []byte("s"), MaxMessage: 100}
	_, err := cl.Invoke(context.Background(), &driver.Request{Version: 1, Input: []byte(`"` + strings.Repeat("x", 200) + `"`)})
	if !errors.Is(err, pool.ErrTooLarge) || sent {
		t.Fatalf("err = %v, sent = %v; want ErrTooLarge, not sent", err, sent)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"soon", 0, false},
		{"-3", 0, false},
	}
	for _, c := range cases {
		got, ok := httpfn.ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
