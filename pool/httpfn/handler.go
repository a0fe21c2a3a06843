package httpfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/spill"
)

// DefaultMaxRequest bounds the body a worker accepts.
const DefaultMaxRequest = 256 << 20

// Handler is the worker side: it verifies a call's signature, refusing
// unsigned, forged and replayed calls, and runs the rest with pool.Handle.
type Handler struct {
	// Verifier checks signatures (required).
	Verifier *Verifier
	// Handle runs a verified call (default pool.Handle); a worker with a
	// payload store passes pool.Handler{Store: …}.Handle.
	Handle func(ctx context.Context, req *pool.Request) *pool.Response
	// MaxRequest bounds the body in bytes (default DefaultMaxRequest).
	MaxRequest int64
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
func (h *Handler) Serve(ctx context.Context, body []byte, sig Signature) (*pool.Response, error) {
	if h.Verifier == nil {
		return nil, fmt.Errorf("%w: %w", ErrRejected, errNoSecretSet)
	}
	if err := h.Verifier.Verify(body, sig); err != nil {
		return nil, err
	}
	req := new(pool.Request)
	if err := json.Unmarshal(body, req); err != nil {
		return nil, fmt.Errorf("httpfn: undecodable call envelope: %w", err)
	}
	handle := h.Handle
	if handle == nil {
		handle = pool.Handle
	}
	return handle(ctx, req), nil
}

// ServeHTTP answers a POSTed envelope with the result envelope (200), a
// refusal (401, {"error":…,"rejected":true}) or a malformed-request error (400).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		WriteError(w, http.StatusMethodNotAllowed, "burst worker: POST a signed call envelope", false)
		return
	}
	max := h.MaxRequest
	if max <= 0 {
		max = DefaultMaxRequest
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("burst worker: call over %d bytes", max), false)
			return
		}
		WriteError(w, http.StatusBadRequest, "burst worker: read call: "+err.Error(), false)
		return
	}
	status, out := h.Answer(r.Context(), body, SignatureFromHeader(r.Header))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(out)
}

// Answer runs Serve and encodes its outcome as an HTTP status and JSON body.
func (h *Handler) Answer(ctx context.Context, body []byte, sig Signature) (int, []byte) {
	resp, err := h.Serve(ctx, body, sig)
	switch {
	case errors.Is(err, ErrRejected):
		slog.Warn("burst worker: refused a call", "err", err)
		return http.StatusUnauthorized, errorBody(err.Error(), true)
	case err != nil:
		return http.StatusBadRequest, errorBody(err.Error(), false)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		out, _ = json.Marshal(&pool.Response{Version: pool.ProtocolVersion, ID: resp.ID, Attempt: resp.Attempt,
			Error: &pool.WireError{Code: pool.CodeBadOutput, Message: "burst worker: encode result: " + err.Error()}})
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
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
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
