package tcp

import (
	"context"
	"crypto/hmac"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/internal/heard"
	"github.com/burst-dev/burst/pool/internal/rawio"
	"github.com/burst-dev/burst/pool/process"
)

// launcherVars are environment variables a worker reports to the driver, so
// a launcher's backend (pool/slurm) can tell which of its jobs a worker is.
var launcherVars = []string{"SLURM_JOB_ID", "SLURM_STEP_ID", "SLURM_PROCID", "SLURM_ARRAY_TASK_ID", "BURST_SLURM_POOL"}

// serveWorker is the worker side: dial the driver, prove the secret, check
// the driver's proof, then serve calls until the connection ends.
func serveWorker(ctx context.Context) (err error) {
	addr := os.Getenv(EnvAddr)
	secret, err := workerSecret()
	if err != nil {
		return err
	}
	dialFor := 60 * time.Second
	if v := os.Getenv(EnvDialTimeout); v != "" {
		if dialFor, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("tcp worker: %s=%q: want a Go duration such as 60s", EnvDialTimeout, v)
		}
	}
	c, err := dialDriver(ctx, addr, dialFor)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	info := WorkerInfo{Name: os.Getenv(EnvName), Host: host, PID: os.Getpid(), Build: driver.BuildID(), Env: map[string]string{}}
	for _, k := range launcherVars {
		if v, ok := os.LookupEnv(k); ok {
			info.Env[k] = v
		}
	}
	if info.Name == "" {
		info.Name = defaultName(host, info.Env)
	}
	tc, dh, err := introduceWorker(c, secret, info)
	if err != nil {
		c.Close()
		return err
	}
	driver.SetWorkerID(fmt.Sprintf("%s/%d", host, os.Getpid()))
	in := &heard.Reader{R: tc}
	if dh.PingMS > 0 {
		// The driver pings us every interval, idle or busy: a driver
		// silent for LivenessMisses of them is gone (its host lost power,
		// the network between us was cut), though nothing may ever close
		// the connection; keepalive cannot tell when a proxy or NAT
		// answers it, nor while unacknowledged data waits to go.
		interval := time.Duration(dh.PingMS) * time.Millisecond
		// And a write to it fails once unacknowledged for as long, not
		// after TCP's retransmissions (about 15 minutes).
		if err := setUserTimeout(c, process.LivenessMisses*interval); err != nil {
			slog.Warn("burst: tcp worker: could not bound how long a write to the driver may wait (TCP_USER_TIMEOUT); a vanished driver is still noticed by its silence", "err", err)
		}
		w := watchDriver(in, c, addr, interval)
		defer w.stop()
		defer func() {
			if why := w.verdict(); why != nil && ctx.Err() == nil && (err == nil || connectionEnded(err)) {
				err = why
			}
		}()
	}
	// A signal ends the serving the way the driver's Close does.
	stop := context.AfterFunc(ctx, func() { tc.Close() })
	defer stop()
	err = process.Serve(ctx, in, tc, dh.MaxMessage)
	tc.Close()
	if err != nil && (connectionEnded(err) || ctx.Err() != nil) {
		// The driver went away without goodbye (it was killed, or we were
		// told to stop): nothing is left to serve.
		return nil
	}
	return err
}

// connectionEnded reports whether err is the connection to the driver
// ending rather than a failure of the worker.
func connectionEnded(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// driverWatch is a worker's watch of a driver that promised to ping it.
type driverWatch struct {
	done chan struct{}
	why  atomic.Pointer[error]
}

// watchDriver looks once per interval whether anything came from the
// driver since it last looked; after process.LivenessMisses intervals in a
// row with nothing (3 × the interval of silence at least, 4 at most) it
// closes raw, the connection under the TLS stream: the serving then ends,
// the calls running here are cancelled, and their results, which nobody
// could receive, are dropped. Counting intervals rather than measuring
// time keeps a worker that was itself stopped or starved from blaming the
// driver: it has to look LivenessMisses times.
//
// An interval at whose end no read is under way does not count: the
// worker's reader is busy elsewhere, most likely writing to the driver
// (it writes whatever is queued when it answers a ping, a long result
// too), and the driver's pings wait unread in the kernel, so nothing was
// heard because nobody listened. On a slow link that write outlasts 3
// intervals, and the watch closed the connection under a healthy driver,
// the result half sent. A write to a driver that vanished fails instead
// by TCP_USER_TIMEOUT (Linux), which ends the serving too.
func watchDriver(in *heard.Reader, raw net.Conn, addr string, interval time.Duration) *driverWatch {
	w := &driverWatch{done: make(chan struct{})}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		misses := 0
		for {
			select {
			case <-w.done:
				return
			case <-t.C:
			}
			if in.Heard() {
				misses = 0
				continue
			}
			if !in.Listening() {
				continue
			}
			if misses++; misses < process.LivenessMisses {
				continue
			}
			err := fmt.Errorf("tcp worker: nothing from the driver at %s for %v, though it pings every %v (liveness): taking it for gone (its host down or the network to it cut) and leaving; calls running here are cancelled, their results dropped",
				addr, time.Duration(misses)*interval, interval)
			w.why.Store(&err)
			raw.Close()
			return
		}
	}()
	return w
}

func (w *driverWatch) stop() { close(w.done) }

// verdict is why the watch closed the connection, or nil if it did not.
func (w *driverWatch) verdict() error {
	if p := w.why.Load(); p != nil {
		return *p
	}
	return nil
}

func defaultName(host string, env map[string]string) string {
	if j := env["SLURM_JOB_ID"]; j != "" {
		return fmt.Sprintf("slurm job %s step %s on %s", j, env["SLURM_STEP_ID"], host)
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// workerSecret reads the secret from the environment or the file it names.
func workerSecret() ([]byte, error) {
	if s := os.Getenv(EnvSecret); s != "" {
		return []byte(s), nil
	}
	if f := os.Getenv(EnvSecretFile); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("tcp worker: read the pool secret: %w", err)
		}
		return []byte(strings.TrimSpace(string(b))), nil
	}
	return nil, fmt.Errorf("tcp worker: %s is set but neither %s nor %s: the worker needs the pool's secret in its environment",
		EnvAddr, EnvSecret, EnvSecretFile)
}

// dialDriver dials addr, retrying for a while: a worker may start before its
// driver listens.
func dialDriver(ctx context.Context, addr string, within time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	d := net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3}}
	wait := 50 * time.Millisecond
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("tcp worker: could not reach the driver at %s within %v: %w", addr, within, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// introduceWorker runs the TLS handshake and the introductions.
func introduceWorker(c net.Conn, secret []byte, info WorkerInfo) (*tls.Conn, driverHello, error) {
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	// The certificate is not checked: the driver proves itself by the
	// secret, bound to this very session (see the package comment).
	tc := tls.Client(rawio.Conn(c), &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	if err := tc.Handshake(); err != nil {
		return nil, driverHello{}, fmt.Errorf("tcp worker: TLS handshake with %s: %w", c.RemoteAddr(), err)
	}
	binding, err := channelBinding(tc)
	if err != nil {
		return nil, driverHello{}, err
	}
	if err := writeMsg(tc, workerHello{Version: protoVersion, Info: info, Proof: proof(secret, "worker", binding)}); err != nil {
		return nil, driverHello{}, fmt.Errorf("tcp worker: introduce to %s: %w", c.RemoteAddr(), err)
	}
	var dh driverHello
	if err := readMsg(tc, &dh); err != nil {
		return nil, driverHello{}, fmt.Errorf("tcp worker: no answer from the driver at %s: %w", c.RemoteAddr(), err)
	}
	if dh.Error != "" {
		return nil, driverHello{}, fmt.Errorf("tcp worker: refused by the driver at %s: %s", c.RemoteAddr(), dh.Error)
	}
	if !hmac.Equal([]byte(dh.Proof), []byte(proof(secret, "driver", binding))) {
		return nil, driverHello{}, fmt.Errorf("tcp worker: the peer at %s failed to prove it knows the pool secret: not serving it", c.RemoteAddr())
	}
	c.SetDeadline(time.Time{})
	return tc, dh, nil
}
