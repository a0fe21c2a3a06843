//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
)

// server is a redis-server or S3-compatible server this command started on
// loopback for the storage modes, when no URL was given.
type server struct {
	name string
	cmd  *exec.Cmd
}

func (s *server) stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	_ = s.cmd.Wait()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs bin with args and waits until addr accepts connections.
func startServer(ctx context.Context, name, addr, bin string, args ...string) (*server, error) {
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := testenv.WaitTCP(ctx, addr); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// startRedis starts redis-server on a free loopback port, without
// persistence, and returns its shared URL.
func startRedis(ctx context.Context) (*server, string, error) {
	bin, err := testenv.LookTool("redis-server")
	if err != nil {
		return nil, "", err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s, err := startServer(ctx, "redis-server", addr, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
	if err != nil {
		return nil, "", err
	}
	return s, "redis://" + addr + "/0", nil
}

// startS3 starts gofakes3 (in memory) on a free loopback port, creates a
// bucket and returns its cloudfs URL; the AWS SDK in this process and in the
// workers it starts gets static test credentials and no other source.
func startS3(ctx context.Context) (*server, string, error) {
	bin, err := testenv.LookTool("gofakes3")
	if err != nil {
		return nil, "", err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s, err := startServer(ctx, "gofakes3", addr, bin, "-backend", "memory", "-host", addr, "-autobucket", "-quiet")
	if err != nil {
		return nil, "", err
	}
	for k, v := range testenv.S3Env() {
		os.Setenv(k, v)
	}
	endpoint := "http://" + addr
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, endpoint+"/study", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.stop()
		return nil, "", fmt.Errorf("gofakes3: create bucket: %w", err)
	}
	resp.Body.Close()
	q := url.Values{
		"endpoint": {endpoint}, "region": {"us-east-1"}, "use_path_style": {"true"},
		"request_checksum_calculation": {"when_required"}, "response_checksum_validation": {"when_required"},
	}
	return s, "s3://study?" + q.Encode(), nil
}
