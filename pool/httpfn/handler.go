package httpfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/spill"
)

// DefaultMaxRequest bounds the body a worker accepts.
const DefaultMaxRequest = 256 << 20

// DefaultMaxBodyMemory bounds the bytes of request bodies a worker holds at
// once (calls beyond it wait for memory before their bodies are read): one
// call of the largest size.
const DefaultMaxBodyMemory = DefaultMaxRequest

// DefaultBodyTimeout bounds the time a worker waits for a request's body,
// so a sender that stalls mid-body does not hold a connection and its
// memory: 256 MiB in 60 s is 4.5 MB/s, far below any cloud's network.
const DefaultBodyTimeout = 60 * time.Second

// Handler is the worker side: it verifies a call's signature, refusing
// unsigned, forged and replayed calls, and runs the rest with driver.Handle.
type Handler struct {
	// Verifier checks signatures (required).
	Verifier *Verifier
	// Handle runs a verified call (default driver.Handle); a worker with a
	// payload store passes driver.Handler{Store: …}.Handle.
	Handle func(ctx context.Context, req *driver.Request) *driver.Response
	// MaxRequest bounds the body in bytes (default DefaultMaxRequest).
	MaxRequest int64
	// MaxBodyMemory bounds the bytes of bodies read at once over all
	// requests (default DefaultMaxBodyMemory, at least MaxRequest).
	MaxBodyMemory int64
	// BodyTimeout bounds the time to read one body (default
	// DefaultBodyTimeout).
	BodyTimeout time.Duration

	memOnce sync.Once
	mem     *semaphore.Weighted
}

// NewHandler returns a Handler verifying with secret.
func NewHandler(secret []byte) *Handler {
	return &Handler{Verifier: NewVerifier(secret, 0)}
}

// HandlerFromEnv is the Handler a deployed worker uses: the secret from
// BURST_SECRET, and a payload store from BURST_SPILL_URL when set (see
// pool/spill), spilling results over BURST_SPILL_THRESHOLD bytes or, when
// that is unset, over spillAt (0: never). It fails when the secret is
// missing, so a function deployed without one never serves.
func HandlerFromEnv(ctx context.Context, spillAt int) (*Handler, error) {
	s := os.Getenv(EnvSecret)
	if s == "" {
		return nil, errNoSecretSet
	}
	ph, err := spill.HandlerFromEnv(ctx)
	if err != nil {
		return nil, fmt.Errorf("httpfn: %w", err)
	}
	if ph.Store != nil && ph.Threshold == 0 {
		ph.Threshold = spillAt
	}
	h := NewHandler([]byte(s))
	h.Handle = ph.Handle
	return h, nil
}

// Serve runs one signed envelope. Transports that do not deliver an HTTP
// request as such (the OpenWhisk action loop, the Azure invocation envelope)
// call it with the body and signature they unpacked. Its error wraps
// ErrRejected when the signature failed.
func (h *Handler) Serve(ctx context.Context, body []byte, sig Signature) (*driver.Response, error) {
	p, err := h.Verifier.precheck(sig)
	if err != nil {
		return nil, err
	}
	return h.serve(ctx, body, p)
}

// serve is Serve after precheck.
func (h *Handler) serve(ctx context.Context, body []byte, sig prechecked) (*driver.Response, error) {
	if err := h.Verifier.verify(body, sig); err != nil {
		return nil, err
	}
	req := new(driver.Request)
	if err := json.Unmarshal(body, req); err != nil {
		return nil, fmt.Errorf("httpfn: undecodable call envelope: %w", err)
	}
	handle := h.Handle
	if handle == nil {
		handle = driver.Handle
	}
	return handle(ctx, req), nil
}

// ServeHTTP answers a POSTed envelope with the result envelope (200), a
// refusal (401, {"error":…,"rejected":true}), a request over MaxRequest
// (413) or a malformed-request error (400). Unsigned, stale and oversized
// requests are refused from their headers, before any of the body is read;
// the rest wait for their share of MaxBodyMemory and get BodyTimeout to
// arrive.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		WriteError(w, http.StatusMethodNotAllowed, "burst worker: POST a signed call envelope", false)
		return
	}
	// Refused from the headers alone, before any of the body is read.
	sig, err := h.Verifier.precheck(SignatureFromHeader(r.Header))
	if err != nil {
		refuse(w, err)
		return
	}
	body, release, status, err := h.ReadBody(w, r)
	if err != nil {
		WriteError(w, status, err.Error(), false)
		return
	}
	defer release()
	status, out := answer(h.serve(r.Context(), body, sig))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(out)
}

func refuse(w http.ResponseWriter, err error) {
	slog.Warn("burst worker: refused a call", "err", err)
	w.Header().Set("Connection", "close") // and leave its body unread
	WriteError(w, http.StatusUnauthorized, err.Error(), true)
}

// ReadBody reads r's body for a transport that unpacks envelopes from it
// (the Azure invocation envelope): it refuses a declared length over
// MaxRequest before reading (413), waits for the body's share of
// MaxBodyMemory, and cuts off a body that takes longer than BodyTimeout
// (400). The caller calls release once it no longer holds the body.
func (h *Handler) ReadBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), status int, err error) {
	limit := h.MaxRequest
	if limit <= 0 {
		limit = DefaultMaxRequest
	}
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		return nil, nil, http.StatusRequestEntityTooLarge, fmt.Errorf("burst worker: call of %d bytes is over the limit of %d", r.ContentLength, limit)
	}
	timeout := h.BodyTimeout
	if timeout <= 0 {
		timeout = DefaultBodyTimeout
	}
	// Servers this handler does not start (functions-framework) have no
	// read timeout of their own; the deadline covers waiting for memory too.
	deadline := time.Now().Add(timeout)
	_ = http.NewResponseController(w).SetReadDeadline(deadline)
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()
	// Reserve the declared length, or the limit when the length is unknown
	// (chunked), until the call is answered.
	want := limit
	if r.ContentLength >= 0 {
		want = r.ContentLength
	}
	mem := h.memory(limit)
	if err := mem.Acquire(ctx, want); err != nil {
		w.Header().Set("Connection", "close")
		return nil, nil, http.StatusServiceUnavailable, fmt.Errorf("burst worker: no memory for the call's body within %v: %w", timeout, err)
	}
	release = func() { mem.Release(want) }
	body, err = readAll(http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
	if err != nil {
		release()
		w.Header().Set("Connection", "close")
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, nil, http.StatusRequestEntityTooLarge, fmt.Errorf("burst worker: call over %d bytes", limit)
		}
		return nil, nil, http.StatusBadRequest, fmt.Errorf("burst worker: read call: %w", err)
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	return body, release, 0, nil
}

// readAll reads a body of n bytes (n < 0: unknown) into one allocation of
// its size when it is known, not the doubling buffers of io.ReadAll that
// may hold twice the body.
func readAll(r io.Reader, n int64) ([]byte, error) {
	if n < 0 {
		var buf bytes.Buffer
		_, err := buf.ReadFrom(r)
		return buf.Bytes(), err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("body ended after fewer bytes than its Content-Length of %d: %w", n, err)
		}
		return nil, err
	}
	return b, nil
}

func (h *Handler) memory(limit int64) *semaphore.Weighted {
	h.memOnce.Do(func() {
		n := h.MaxBodyMemory
		if n <= 0 {
			n = DefaultMaxBodyMemory
		}
		h.mem = semaphore.NewWeighted(max(n, limit))
	})
	return h.mem
}

// Answer runs Serve and encodes its outcome as an HTTP status and JSON body.
func (h *Handler) Answer(ctx context.Context, body []byte, sig Signature) (int, []byte) {
	return answer(h.Serve(ctx, body, sig))
}

// answer is the status and body of Serve's outcome.
func answer(resp *driver.Response, err error) (int, []byte) {
	switch {
	case errors.Is(err, ErrRejected):
		slog.Warn("burst worker: refused a call", "err", err)
		return http.StatusUnauthorized, errorBody(err.Error(), true)
	case err != nil:
		return http.StatusBadRequest, errorBody(err.Error(), false)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		out, _ = json.Marshal(&driver.Response{Version: driver.ProtocolVersion, ID: resp.ID, Attempt: resp.Attempt,
			Error: &driver.WireError{Code: driver.CodeBadOutput, Message: "burst worker: encode result: " + err.Error()}})
	}
	return http.StatusOK, out
}

func errorBody(msg string, rejected bool) []byte {
	b, _ := json.Marshal(rejection{Error: msg, Rejected: rejected})
	return b
}

// WriteError writes a JSON error body.
func WriteError(w http.ResponseWriter, status int, msg string, rejected bool) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(errorBody(msg, rejected))
}

// EnvListenHost overrides the interface a worker listens on (default: all,
// as Cloud Run, Knative and Code Engine require); tests set 127.0.0.1.
const EnvListenHost = "BURST_LISTEN_HOST"

// ListenAddr is host:port for a worker whose platform passes the port in the
// environment variable portEnv (PORT, FUNCTIONS_CUSTOMHANDLER_PORT, …).
func ListenAddr(portEnv, defaultHost string) (string, error) {
	port := os.Getenv(portEnv)
	if port == "" {
		return "", fmt.Errorf("httpfn: %s is not set: the platform passes the port to listen on there", portEnv)
	}
	host := defaultHost
	if h := os.Getenv(EnvListenHost); h != "" {
		host = h
	}
	return net.JoinHostPort(host, port), nil
}

// ListenAndServe serves h on addr until ctx ends, then shuts down gracefully,
// letting calls in flight finish for up to 10 s (platforms send SIGTERM and
// wait before killing).
func ListenAndServe(ctx context.Context, addr string, h http.Handler) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("httpfn: listen: %w", err)
	}
	return Serve(ctx, l, h)
}

// Serve is ListenAndServe on a listener the caller opened.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	// Bodies have their own deadline (Handler.BodyTimeout); a call's run
	// time has none here, the platform bounds it.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// WorkerID names this instance in Results: the platform's instance name
// where it has one, else host/pid.
func WorkerID(platform string, envs ...string) string {
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s:%s/%d", platform, host, os.Getpid())
	for _, e := range envs {
		if v := os.Getenv(e); v != "" {
			id += "/" + v
			break
		}
	}
	return id
}
