package testenv

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisOptions configures StartRedis.
type RedisOptions struct {
	// Persist turns on the append-only file with an fsync per write, in a
	// directory under the test's temp dir, so that Kill (SIGKILL) and
	// Restart keep every write the server acknowledged.
	Persist bool
	// Password, if set, is required from clients (requirepass).
	Password string
	// TLS serves TLS only (rediss://), with a self-signed certificate for
	// 127.0.0.1 in CertPEM; clients must trust it or skip verification.
	TLS bool
	// Args are extra redis-server arguments, e.g. "--maxmemory", "10mb".
	Args []string
}

// Redis is a redis-server started for a test.
type Redis struct {
	*Process
	// Dir holds the server's data files (the AOF when Persist is set).
	Dir string
	// CertPEM is the server's self-signed certificate when TLS is set.
	CertPEM []byte
	opts    RedisOptions
}

// URL returns redis://[:password@]addr/0, with query parameters from q
// (e.g. "namespace", "t1") appended.
func (r *Redis) URL(q url.Values) string {
	u := url.URL{Scheme: "redis", Host: r.Addr, Path: "/0", RawQuery: q.Encode()}
	if r.opts.TLS {
		u.Scheme = "rediss"
	}
	if r.opts.Password != "" {
		u.User = url.UserPassword("", r.opts.Password)
	}
	return u.String()
}

// StartRedis starts redis-server on a free port of 127.0.0.1 (and no other
// address), skipping the test when redis-server is not installed (failing
// under CI). The server is killed when the test ends; Kill and Restart
// (from Process) crash it and bring it back on the same port and data dir.
func StartRedis(tb testing.TB, opts RedisOptions) *Redis {
	tb.Helper()
	bin := NeedTool(tb, "redis-server")
	dir := tb.TempDir()
	port := FreePort(tb)
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--protected-mode", "yes",
		"--dir", dir,
		"--save", "",
		"--daemonize", "no",
		"--logfile", "",
		"--databases", "16",
	}
	if opts.Persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	if opts.Password != "" {
		args = append(args, "--requirepass", opts.Password)
	}
	var certPEM []byte
	if opts.TLS {
		var certFile, keyFile string
		certPEM, certFile, keyFile = selfSignedCert(tb, dir)
		args[1] = "0" // no plain-text port
		args = append(args, "--tls-port", strconv.Itoa(port), "--tls-cert-file", certFile,
			"--tls-key-file", keyFile, "--tls-ca-cert-file", certFile, "--tls-auth-clients", "no")
	}
	args = append(args, opts.Args...)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := Start(tb, "redis-server", addr, nil, bin, args...)
	r := &Redis{Process: p, Dir: dir, CertPEM: certPEM, opts: opts}
	r.waitReady()
	return r
}

// Restart is Process.Restart followed by a wait until the server has
// loaded its data: redis-server accepts connections before that and
// answers LOADING meanwhile.
func (r *Redis) Restart() {
	r.tb.Helper()
	r.Process.Restart()
	r.waitReady()
}

func (r *Redis) waitReady() {
	r.tb.Helper()
	deadline := time.Now().Add(patience)
	var last string
	for time.Now().Before(deadline) {
		last = r.ping()
		if last == "+PONG" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.tb.Fatalf("testenv: redis-server on %s not ready after %v: %s", r.Addr, patience, last)
}

func (r *Redis) ping() string {
	var c net.Conn
	var err error
	d := &net.Dialer{Timeout: time.Second}
	if r.opts.TLS {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(r.CertPEM)
		c, err = tls.DialWithDialer(d, "tcp", r.Addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	} else {
		c, err = d.Dial("tcp", r.Addr)
	}
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	br := bufio.NewReader(c)
	if r.opts.Password != "" {
		fmt.Fprintf(c, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(r.opts.Password), r.opts.Password)
		if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
			return fmt.Sprintf("AUTH: %q %v", line, err)
		}
	}
	fmt.Fprintf(c, "PING\r\n")
	line, err := br.ReadString('\n')
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(line)
}

// selfSignedCert writes a fresh key and certificate for 127.0.0.1.
func selfSignedCert(tb testing.TB, dir string) (certPEM []byte, certFile, keyFile string) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	certFile, keyFile = filepath.Join(dir, "tls-cert.pem"), filepath.Join(dir, "tls-key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return certPEM, certFile, keyFile
}
