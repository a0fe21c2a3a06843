package tcp

import (
	"context"
	"crypto/hmac"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/internal/rawio"
	"github.com/burst-dev/burst/pool/process"
)

// launcherVars are environment variables a worker reports to the driver, so
// a launcher's backend (pool/slurm) can tell which of its jobs a worker is.
var launcherVars = []string{"SLURM_JOB_ID", "SLURM_STEP_ID", "SLURM_PROCID", "SLURM_ARRAY_TASK_ID", "BURST_SLURM_POOL"}

// serveWorker is the worker side: dial the driver, prove the secret, check
// the driver's proof, then serve calls until the connection ends.
func serveWorker(ctx context.Context) error {
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
	// A signal ends the serving the way the driver's Close does.
	stop := context.AfterFunc(ctx, func() { tc.Close() })
	defer stop()
	err = process.Serve(ctx, tc, tc, dh.MaxMessage)
	tc.Close()
	if err != nil && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || ctx.Err() != nil) {
		// The driver went away without goodbye (it was killed, or we were
		// told to stop): nothing is left to serve.
		return nil
	}
	return err
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
