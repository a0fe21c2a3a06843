// Package tcp is the pool backend whose workers dial in: the driver listens
// on a TCP address, and workers — the same binary, started by anything (ssh,
// a Kubernetes Job, HTCondor, a Slurm job as pool/slurm does) — connect to it
// and take calls with the protocol process:// speaks (frames, calls waiting
// beside busy workers, cancel), over TLS. Importing it registers the "tcp"
// scheme:
//
//	p, err := pool.Open(ctx, "tcp://10.0.0.5:7070?workers=16")
//
// A worker needs two things in its environment: BURST_TCP_ADDR, the
// address to dial, and the pool's secret, in BURST_TCP_SECRET or in a file
// named by BURST_TCP_SECRET_FILE. The secret never appears on a command
// line. By default the driver makes a fresh random secret per pool
// ((*Backend).WorkerEnv returns both variables, for launchers in the same
// program); a driver whose own environment has BURST_TCP_SECRET uses that
// one instead, so workers started by hand or by another system can share it.
//
// Both sides prove they know the secret: after the TLS handshake each sends
// an HMAC of the TLS session's exported keying material under the secret, so
// a proof is good for that one connection only and a man in the middle,
// holding two sessions, can forward neither. Certificates therefore carry no
// trust here; the driver's is a throwaway made per pool. A worker with the
// wrong secret, or of another build than the driver, is refused with a
// message saying why, and exits.
//
// A worker serves until its connection ends: when the pool closes, or when
// the driver dies. A worker lost mid-call fails that call with
// driver.ErrWorkerLost, which the pool retries on another worker. TCP
// keepalive notices a vanished host on an idle connection within about
// half a minute, but not a worker stopped or swapped out on a live host,
// nor a host gone while data waits to go to it, nor anything behind a
// proxy or NAT that answers the probes. So the driver pings every worker
// once per interval (Options.Liveness, default 5 s): a worker that sends
// nothing for process.LivenessMisses intervals has its connection closed;
// and a worker, told of the pings in the driver's hello, that hears nothing
// from the driver for as many intervals takes it for gone (its host lost
// power, the network was cut), closes the connection and exits with status
// 1, saying why, its running calls cancelled and their results dropped. It
// also bounds a write to the driver with TCP_USER_TIMEOUT (Linux) to as
// long. With liveness off, or an older driver that never pings, a worker
// waits for its connection to end, as before.
package tcp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/internal/rawio"
	"github.com/burst-dev/burst/pool/process"
)

// Scheme is the URL scheme this package registers with pool.Open.
const Scheme = "tcp"

// Environment variables a worker reads.
const (
	EnvAddr       = "BURST_TCP_ADDR"        // host:port to dial; its presence makes the process a worker
	EnvSecret     = "BURST_TCP_SECRET"      // the pool's secret
	EnvSecretFile = "BURST_TCP_SECRET_FILE" // or a file holding it
	EnvName       = "BURST_TCP_NAME"        // optional: how the driver names this worker
	// EnvDialTimeout bounds how long a worker keeps trying to reach the
	// driver (a Go duration, default 60s), for workers started before it.
	EnvDialTimeout = "BURST_TCP_DIAL_TIMEOUT"
)

// minSecret is the shortest secret accepted, in bytes.
const minSecret = 16

// Options configure a Backend.
type Options struct {
	// Addr is the address to listen on (default "127.0.0.1:0": loopback, a
	// free port). Workers on other hosts need an address they can reach.
	Addr string
	// Listener, if set, is used instead of listening on Addr.
	Listener net.Listener
	// Workers is how many workers are expected; the pool's default limit
	// is Workers × PerWorker (default 1).
	Workers int
	// PerWorker is how many calls a worker runs at once (default 1).
	PerWorker int
	// MaxMessage bounds an encoded call or result (default 64 MiB).
	MaxMessage int
	// Secret is the pool's secret (at least 16 bytes). Default: the
	// driver's BURST_TCP_SECRET if set, else 32 random bytes.
	Secret []byte
	// Liveness is the interval at which the driver pings each worker, idle
	// or busy (default 5 s; negative: never). A worker silent for
	// process.LivenessMisses intervals has its connection closed and its
	// calls retried elsewhere, and a worker that hears nothing from the
	// driver for as many leaves. It catches what TCP keepalive cannot: a
	// worker process stopped or swapped out on a live host, a host gone
	// while data waits to go to it, and either end vanishing behind a
	// proxy or NAT. URL: liveness=.
	Liveness time.Duration
	// OnWorker, if set, is called for each worker accepted, with a channel
	// closed when it is gone (pool/slurm tracks its jobs with it).
	OnWorker func(w WorkerInfo, gone <-chan struct{})
}

// WorkerInfo is what a worker says about itself when it connects.
type WorkerInfo struct {
	Name  string            `json:"name"`
	Host  string            `json:"host"`
	PID   int               `json:"pid"`
	Build string            `json:"build"`
	Env   map[string]string `json:"env,omitempty"` // launcher ids, e.g. SLURM_JOB_ID
	// Addr is the worker's remote address as the driver sees it.
	Addr string `json:"-"`
}

func init() {
	driver.RegisterCapabilities(Scheme, driver.Capabilities{Remote: true})
	driver.RegisterBackend(Scheme, func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		if err := driver.UnknownParams(u, "workers", "per_worker", "max_message", "liveness"); err != nil {
			return nil, err
		}
		o := Options{Addr: u.Host}
		if err := process.LivenessParam("tcp", u.Query(), &o.Liveness); err != nil {
			return nil, err
		}
		if err := driver.IntParams("tcp", u.Query(), map[string]*int{"workers": &o.Workers, "per_worker": &o.PerWorker, "max_message": &o.MaxMessage}); err != nil {
			return nil, err
		}
		return New(ctx, o)
	})
	driver.RegisterExplicitWorker(Scheme, func() bool { return os.Getenv(EnvAddr) != "" }, serveWorker)
}

// Backend is a listening driver and the workers that dialled in.
type Backend struct {
	*process.Backend
	opts   Options
	ln     net.Listener
	tls    *tls.Config
	secret []byte
	build  string

	firstWorker chan struct{} // closed when the first worker is attached
	attached    atomic.Bool
	mu          sync.Mutex
	refused     error         // the last refusal, for calls that have no worker
	refusedCh   chan struct{} // closed at the first refusal
	closed      chan struct{}
	wg          sync.WaitGroup
	connected   int           // under mu
	changed     chan struct{} // under mu: closed and replaced when connected changes
}

// New listens and returns at once; calls wait until workers connect.
func New(ctx context.Context, o Options) (*Backend, error) {
	if o.Workers < 1 {
		o.Workers = 1
	}
	secret := o.Secret
	if secret == nil {
		if s := os.Getenv(EnvSecret); s != "" {
			secret = []byte(s)
		} else {
			secret = make([]byte, 32)
			rand.Read(secret)
			secret = []byte(hex.EncodeToString(secret))
		}
	}
	if len(secret) < minSecret {
		return nil, fmt.Errorf("tcp: the pool secret has %d bytes; at least %d are needed", len(secret), minSecret)
	}
	cert, err := throwawayCert()
	if err != nil {
		return nil, fmt.Errorf("tcp: make the listener's certificate: %w", err)
	}
	ln := o.Listener
	if ln == nil {
		addr := o.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		var lc net.ListenConfig
		ln, err = lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("tcp: listen on %s: %w", addr, err)
		}
	}
	b := &Backend{
		Backend: process.NewAttached(process.Options{Workers: o.Workers, PerWorker: o.PerWorker, MaxMessage: o.MaxMessage, Liveness: o.Liveness}),
		opts:    o, ln: ln, secret: secret, build: driver.BuildID(),
		tls:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13},
		firstWorker: make(chan struct{}), refusedCh: make(chan struct{}), closed: make(chan struct{}), changed: make(chan struct{}),
	}
	b.wg.Go(b.accept)
	return b, nil
}

// Addr is the address the driver listens on.
func (b *Backend) Addr() string { return b.ln.Addr().String() }

// WorkerEnv returns the environment entries a worker needs to join this
// pool: the address to dial and the secret. Pass them in the environment of
// the process that starts workers, never on a command line or in a script
// file.
func (b *Backend) WorkerEnv() []string {
	return []string{EnvAddr + "=" + b.Addr(), EnvSecret + "=" + string(b.secret)}
}

func (b *Backend) count(d int) {
	b.mu.Lock()
	b.connected += d
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// Connected is how many workers are connected now.
func (b *Backend) Connected() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.connected
}

// WaitWorkers waits until n workers are connected.
func (b *Backend) WaitWorkers(ctx context.Context, n int) error {
	for {
		b.mu.Lock()
		c, ch := b.connected, b.changed
		b.mu.Unlock()
		if c >= n {
			return nil
		}
		select {
		case <-ch:
		case <-b.closed:
			return pool.ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("tcp: %d of %d workers connected: %w", c, n, context.Cause(ctx))
		}
	}
}

// Invoke runs a call. Until the first worker is accepted it waits; if
// instead a worker is refused (another build, say) and none was accepted,
// it fails with that reason rather than waiting for a worker that will
// never come.
func (b *Backend) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	if !b.attached.Load() {
		select {
		case <-b.firstWorker:
		case <-b.refusedCh:
			if !b.attached.Load() {
				b.mu.Lock()
				err := b.refused
				b.mu.Unlock()
				return nil, err
			}
		case <-b.closed:
			return nil, pool.ErrClosed
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	return b.Backend.Invoke(ctx, req)
}

// Start starts a call (driver.Starter); until the first worker is accepted,
// a goroutine waits for it as Invoke does.
func (b *Backend) Start(ctx context.Context, req *driver.Request, done func(*driver.Response, error)) {
	if b.attached.Load() {
		b.Backend.Start(ctx, req, done)
		return
	}
	go func() { done(b.Invoke(ctx, req)) }()
}

// Close stops listening and ends every worker's connection, which ends the
// workers.
func (b *Backend) Close() error {
	select {
	case <-b.closed:
		return nil
	default:
	}
	close(b.closed)
	b.ln.Close()
	err := b.Backend.Close()
	b.wg.Wait()
	return err
}

func (b *Backend) accept() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			select {
			case <-b.closed:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			slog.Error("burst: tcp listener failed", "addr", b.Addr(), "err", err)
			return
		}
		b.wg.Go(func() { b.admit(c) })
	}
}

// handshakeTimeout bounds a connection's TLS handshake and introductions, so
// a client that says nothing holds nothing.
const handshakeTimeout = 15 * time.Second

func (b *Backend) admit(c net.Conn) {
	setKeepAlive(c)
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	tc := tls.Server(rawio.Conn(c), b.tls)
	info, err := b.introduce(tc)
	if err != nil {
		var ref *refusal
		if errors.As(err, &ref) {
			writeMsg(tc, driverHello{Error: ref.msg})
			b.refuse(ref)
		} else {
			slog.Warn("burst: tcp connection dropped during handshake", "remote", c.RemoteAddr(), "err", err)
		}
		tc.Close()
		return
	}
	c.SetDeadline(time.Time{})
	info.Addr = c.RemoteAddr().String()
	if info.Name == "" {
		info.Name = fmt.Sprintf("%s/%d", info.Host, info.PID)
	}
	gone, err := b.Backend.Attach(tc, info.Name+" at "+info.Addr)
	if err != nil {
		return // closed meanwhile; Attach closed the connection
	}
	if b.attached.CompareAndSwap(false, true) {
		close(b.firstWorker)
	}
	b.count(+1)
	b.wg.Go(func() {
		select {
		case <-gone:
			b.count(-1)
		case <-b.closed:
		}
	})
	if b.opts.OnWorker != nil {
		b.opts.OnWorker(info, gone)
	}
}

// refusal is a worker the driver turns away, with the reason it is told.
type refusal struct {
	msg string
	err error // wraps driver.ErrBuildMismatch for another build
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.err }

func (b *Backend) refuse(r *refusal) {
	slog.Warn("burst: tcp worker refused", "reason", r.msg)
	if r.err == nil {
		// A stranger without the secret must not be able to fail the
		// pool's calls by connecting first: only a worker that proved the
		// secret but runs another build says something about the pool.
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refused == nil {
		close(b.refusedCh)
	}
	b.refused = fmt.Errorf("tcp: %w", r)
}

// The introductions after the TLS handshake: the worker speaks first.
type workerHello struct {
	Version int        `json:"v"`
	Info    WorkerInfo `json:"info"`
	Proof   string     `json:"proof"`
}

type driverHello struct {
	Proof      string `json:"proof,omitempty"`
	MaxMessage int    `json:"max_message,omitempty"`
	Error      string `json:"error,omitempty"` // set when the worker is refused
	// PingMS: the driver pings the worker every PingMS milliseconds, idle
	// or busy (once the worker's process hello says it answers pings), so
	// the worker may take process.LivenessMisses such intervals without a
	// byte from the driver as the driver gone. Absent (an older driver,
	// or liveness=off): no promise, and the worker waits for its
	// connection to end, as before.
	PingMS int64 `json:"ping_ms,omitempty"`
}

const protoVersion = 1

func (b *Backend) introduce(tc *tls.Conn) (WorkerInfo, error) {
	if err := tc.Handshake(); err != nil {
		return WorkerInfo{}, err
	}
	binding, err := channelBinding(tc)
	if err != nil {
		return WorkerInfo{}, err
	}
	var wh workerHello
	if err := readMsg(tc, &wh); err != nil {
		return WorkerInfo{}, err
	}
	if !hmac.Equal([]byte(wh.Proof), []byte(proof(b.secret, "worker", binding))) {
		return WorkerInfo{}, &refusal{msg: fmt.Sprintf("worker %s/%d at %s has the wrong secret (check %s or %s)",
			wh.Info.Host, wh.Info.PID, tc.RemoteAddr(), EnvSecret, EnvSecretFile)}
	}
	if wh.Version != protoVersion {
		return WorkerInfo{}, &refusal{msg: fmt.Sprintf("worker %s/%d speaks protocol version %d, this driver %d: redeploy the worker binary",
			wh.Info.Host, wh.Info.PID, wh.Version, protoVersion), err: driver.ErrBuildMismatch}
	}
	if wh.Info.Build != b.build {
		return WorkerInfo{}, &refusal{msg: fmt.Sprintf("worker %s/%d runs build %s, this driver build %s: redeploy the worker binary",
			wh.Info.Host, wh.Info.PID, wh.Info.Build, b.build), err: driver.ErrBuildMismatch}
	}
	dh := driverHello{Proof: proof(b.secret, "driver", binding), MaxMessage: b.opts.MaxMessage}
	if l := b.Backend.Liveness(); l > 0 {
		// Rounded up: a worker that waits a little longer is safe, one
		// that waits less could leave a healthy driver.
		dh.PingMS = int64((l + time.Millisecond - 1) / time.Millisecond)
	}
	err = writeMsg(tc, dh)
	return wh.Info, err
}

// channelBinding is keying material unique to this TLS session; proofs over
// it cannot be replayed on another connection.
func channelBinding(tc *tls.Conn) ([]byte, error) {
	cs := tc.ConnectionState()
	return cs.ExportKeyingMaterial("EXPORTER-burst-tcp-v1", nil, 32)
}

func proof(secret []byte, role string, binding []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(role))
	m.Write(binding)
	return hex.EncodeToString(m.Sum(nil))
}

// Introductions are JSON, each preceded by its length (4 bytes, big endian).
const maxIntro = 64 << 10

func writeMsg(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
	if err == nil {
		_, err = w.Write(b)
	}
	return err
}

func readMsg(r io.Reader, v any) error {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > maxIntro {
		return fmt.Errorf("introduction of %d bytes is over the %d-byte limit", n, maxIntro)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// throwawayCert makes the listener's self-signed certificate. It carries no
// trust (the secret does); TLS needs one to encrypt.
func throwawayCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "burst tcp pool"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// setKeepAlive makes a vanished peer (a host that died, a cut network)
// show as a failed read within about half a minute, not the system's hours.
func setKeepAlive(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3})
	}
}
