// Package testenv starts the real servers that burst's tests talk to —
// redis-server, an S3-compatible server, the GCS and Azure Blob emulators, the
// AWS Lambda Runtime Interface Emulator, a one-node Slurm cluster — as child processes on free loopback
// ports, so tests can also kill and restart them for fault tests.
//
// Tools are looked up in $BURST_TOOLS/bin, $BURST_TOOLS/npm/node_modules/.bin
// and then $PATH. ./test.sh installs all of them; when one is missing a test
// skips with the reason, except under CI (CI=true), where it fails, because CI
// must never silently skip.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// ToolsDir is where ./test.sh installs tools.
func ToolsDir() string {
	if d := os.Getenv("BURST_TOOLS"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "burst-tools")
	}
	return filepath.Join(home, ".cache", "burst-tools")
}

// LookTool finds an executable by name in the tools dir or on $PATH.
func LookTool(name string) (string, error) {
	for _, dir := range []string{
		filepath.Join(ToolsDir(), "bin"),
		filepath.Join(ToolsDir(), "npm", "node_modules", ".bin"),
	} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("testenv: %s not found in %s or $PATH (run ./test.sh, which installs it): %w",
			name, ToolsDir(), err)
	}
	return p, nil
}

// NeedTool returns the path of a tool, or skips the test when it is missing.
// Under CI a missing tool fails the test instead: CI installs everything.
func NeedTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := LookTool(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%v", err)
		}
		tb.Skipf("skipping: %v", err)
	}
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testenv: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitTCP waits until addr accepts TCP connections or ctx ends.
func WaitTCP(ctx context.Context, addr string) error {
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testenv: %s never accepted connections: %w", addr, errors.Join(ctx.Err(), err))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// patience bounds every wait for a server or cluster to start or answer. It
// is a bound, not an expected time (a healthy server answers within a
// second): CI machines run the suite beside other work, and a niced test
// binary beside CPU hogs has seen Azurite take over a minute to listen.
const patience = 3 * time.Minute

// Process is a server started for a test. It is killed when the test ends.
type Process struct {
	Name string
	Addr string // host:port it listens on
	Port int
	cmd  *exec.Cmd
	log  *os.File
	args []string
	env  []string
	tb   testing.TB
}

// Start runs a server binary with args, waits until addr accepts connections
// (up to 3 min), and registers a cleanup that kills it. Its combined output goes
// to a file in the test's temp dir, printed when the test fails.
func Start(tb testing.TB, name, addr string, env []string, bin string, args ...string) *Process {
	tb.Helper()
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	p := &Process{Name: name, Addr: addr, Port: port, args: append([]string{bin}, args...), env: env, tb: tb}
	if err := p.start(); err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(func() {
		p.Kill()
		if tb.Failed() && p.log != nil {
			if b, err := os.ReadFile(p.log.Name()); err == nil && len(b) > 0 {
				tail := b
				if len(tail) > 4000 {
					tail = tail[len(tail)-4000:]
				}
				tb.Logf("%s output (tail):\n%s", name, tail)
			}
		}
	})
	return p
}

func (p *Process) start() error {
	if p.log == nil {
		f, err := os.CreateTemp(p.tb.TempDir(), p.Name+"-*.log")
		if err != nil {
			return err
		}
		p.log = f
	}
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	// Own process group, so Kill also ends any children the server spawns;
	// Pdeathsig, so a test binary killed by -timeout (whose cleanups never
	// run) does not leave servers behind.
	cmd.SysProcAttr = serverAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testenv: start %s: %w", p.Name, err)
	}
	p.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- WaitTCP(ctx, p.Addr) }()
	select {
	case err := <-waited:
		if err != nil {
			p.Kill()
			return fmt.Errorf("testenv: %s: %w (log %s)", p.Name, err, p.log.Name())
		}
		// Keep reaping in the background.
		go func() { <-exited }()
		return nil
	case err := <-exited:
		cancel()
		b, _ := os.ReadFile(p.log.Name())
		return fmt.Errorf("testenv: %s exited before listening on %s: %v\n%s", p.Name, p.Addr, err, b)
	}
}

// Pid is the server's process id (0 once killed), for tests that read
// its resource use from /proc.
func (p *Process) Pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill ends the server with SIGKILL, as a crash would, and waits a moment
// for the port to be released.
func (p *Process) Kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	killGroup(p.cmd.Process.Pid)
	p.cmd = nil
	// Wait until the port is closed so a restart can bind it again.
	for i := 0; i < 200; i++ {
		c, err := net.DialTimeout("tcp", p.Addr, 50*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

// Restart starts the server again with the same command line and address.
func (p *Process) Restart() {
	p.tb.Helper()
	p.Kill()
	if err := p.start(); err != nil {
		p.tb.Fatalf("%v", err)
	}
}
