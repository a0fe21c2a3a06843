package httpfn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// Headers that carry a call's signature.
const (
	HeaderTimestamp = "X-Burst-Timestamp" // unix nanoseconds of signing, decimal
	HeaderNonce     = "X-Burst-Nonce"     // 128 random bits, hex
	HeaderSignature = "X-Burst-Signature" // hex HMAC-SHA256, see Sign
)

// EnvSecret is the environment variable from which a worker reads the shared
// secret; deploy code sets it on the function.
const EnvSecret = "BURST_SECRET"

// Why a worker refused a call. All wrap ErrRejected.
var (
	// ErrRejected: the worker refused to run the call because it could not
	// prove it came from a driver holding the shared secret.
	ErrRejected    = errors.New("httpfn: call rejected")
	ErrUnsigned    = fmt.Errorf("%w: unsigned (no %s header)", ErrRejected, HeaderSignature)
	ErrBadMAC      = fmt.Errorf("%w: signature does not match (driver and worker secrets differ?)", ErrRejected)
	ErrStale       = fmt.Errorf("%w: timestamp outside the accepted window (clock skew, or a replay)", ErrRejected)
	ErrReplayed    = fmt.Errorf("%w: nonce seen before (replayed call)", ErrRejected)
	errNoSecretSet = errors.New("httpfn: no shared secret: set " + EnvSecret + " on the function (the same secret the driver signs with)")
)

// Signature authenticates one call envelope: an HMAC-SHA256 keyed with the
// job's shared secret over a version tag, the timestamp, the nonce and the
// body's exact bytes. The timestamp bounds how long a captured call stays
// usable, the nonce makes it usable once within that time.
type Signature struct {
	Timestamp int64  `json:"ts"`
	Nonce     string `json:"nonce"`
	MAC       string `json:"sig"`
}

// Sign signs body with secret at time now, with a fresh nonce.
func Sign(secret, body []byte, now time.Time) Signature {
	var n [16]byte
	_, _ = rand.Read(n[:])
	s := Signature{Timestamp: now.UnixNano(), Nonce: hex.EncodeToString(n[:])}
	s.MAC = hex.EncodeToString(mac(secret, s.Timestamp, s.Nonce, body))
	return s
}

func mac(secret []byte, ts int64, nonce string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "burst-v1\n%d\n%s\n", ts, nonce)
	m.Write(body)
	return m.Sum(nil)
}

// SetHeader puts s into h.
func (s Signature) SetHeader(h http.Header) {
	h.Set(HeaderTimestamp, strconv.FormatInt(s.Timestamp, 10))
	h.Set(HeaderNonce, s.Nonce)
	h.Set(HeaderSignature, s.MAC)
}

// SignatureFromHeader reads a signature from h; missing parts stay zero and
// make Verify fail.
func SignatureFromHeader(h http.Header) Signature {
	ts, _ := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	return Signature{Timestamp: ts, Nonce: h.Get(HeaderNonce), MAC: h.Get(HeaderSignature)}
}

// DefaultWindow is how far a call's timestamp may be from the worker's clock.
const DefaultWindow = 5 * time.Minute

// A Verifier checks signatures and remembers the nonces it accepted within
// the window, so a captured call cannot be sent again. The memory is per
// worker instance: a replay to another instance within the window is stopped
// only by the timestamp, which is why the window is short.
type Verifier struct {
	secret []byte
	window time.Duration
	now    func() time.Time

	mu     sync.Mutex
	seen   map[string]int64 // nonce → timestamp of the call
	sweepN int
}

// NewVerifier returns a Verifier for secret accepting timestamps within
// window of its clock (DefaultWindow when window ≤ 0). An empty secret makes
// every call fail: a worker never runs unauthenticated calls.
func NewVerifier(secret []byte, window time.Duration) *Verifier {
	if window <= 0 {
		window = DefaultWindow
	}
	return &Verifier{secret: secret, window: window, now: time.Now, seen: map[string]int64{}}
}

// prechecked is a Signature that passed precheck, with its MAC decoded.
type prechecked struct {
	Signature
	mac []byte
}

// precheck refuses a signature that cannot verify whatever the body: no
// Verifier or secret, none given, malformed, or a timestamp outside the
// window. A worker calls it before reading a body, so such requests cost
// no memory.
func (v *Verifier) precheck(s Signature) (prechecked, error) {
	if v == nil || len(v.secret) == 0 {
		return prechecked{}, fmt.Errorf("%w: %w", ErrRejected, errNoSecretSet)
	}
	if s.MAC == "" {
		return prechecked{}, ErrUnsigned
	}
	got, err := hex.DecodeString(s.MAC)
	if err != nil || len(got) != sha256.Size || s.Nonce == "" || len(s.Nonce) > 64 || s.Timestamp == 0 {
		return prechecked{}, fmt.Errorf("%w (malformed signature headers)", ErrBadMAC)
	}
	now := v.now().UnixNano()
	if d := now - s.Timestamp; d > int64(v.window) || -d > int64(v.window) {
		return prechecked{}, fmt.Errorf("%w: signed %v from the worker's clock, window ±%v", ErrStale, time.Duration(-d).Round(time.Millisecond), v.window)
	}
	return prechecked{Signature: s, mac: got}, nil
}

// Verify checks that s signs body and was not used before. Its error wraps
// ErrRejected.
func (v *Verifier) Verify(body []byte, s Signature) error {
	p, err := v.precheck(s)
	if err != nil {
		return err
	}
	return v.verify(body, p)
}

// verify is Verify after precheck.
func (v *Verifier) verify(body []byte, s prechecked) error {
	// Check the MAC before anything that keeps state, so unauthenticated
	// callers cannot fill the nonce memory.
	if !hmac.Equal(s.mac, mac(v.secret, s.Timestamp, s.Nonce, body)) {
		return ErrBadMAC
	}
	now := v.now().UnixNano()
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, dup := v.seen[s.Nonce]; dup {
		return ErrReplayed
	}
	v.seen[s.Nonce] = s.Timestamp
	// Forget nonces whose timestamps left the window: they fail ErrStale now.
	if v.sweepN++; v.sweepN >= 1024 || len(v.seen) > 1<<16 && v.sweepN >= 64 {
		v.sweepN = 0
		for n, ts := range v.seen {
			if now-ts > int64(v.window) {
				delete(v.seen, n)
			}
		}
	}
	return nil
}

// SecretFromEnv is the shared secret for a deployer of backend: the
// deployed function checks every call's signature with it, so it must be
// set, the same, here and where the program runs.
func SecretFromEnv(backend string) ([]byte, error) {
	s := os.Getenv(EnvSecret)
	if s == "" {
		return nil, fmt.Errorf("$%s is empty: the %s function checks every call's signature with it; set the same value here and where the program runs (e.g. export %s=$(openssl rand -hex 32))",
			EnvSecret, backend, EnvSecret)
	}
	return []byte(s), nil
}
