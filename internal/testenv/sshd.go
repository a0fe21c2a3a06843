package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// SSHD is an OpenSSH server started for a test on a free port of 127.0.0.1,
// accepting one key (KeyFile) for the current user, and passing the client's
// BURST_* environment variables through (AcceptEnv BURST_*).
type SSHD struct {
	*Process
	User    string
	KeyFile string // the client's private key
}

// StartSSHD starts sshd, skipping the test when OpenSSH is not installed
// (failing under CI).
func StartSSHD(tb testing.TB) *SSHD {
	tb.Helper()
	sshd := NeedTool(tb, "sshd")
	keygen := NeedTool(tb, "ssh-keygen")
	NeedTool(tb, "ssh")
	u, err := user.Current()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	dir := tb.TempDir()
	for _, k := range []string{"host_key", "client_key"} {
		if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			tb.Fatalf("testenv: ssh-keygen: %v: %s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	// sshd insists on its privilege-separation directory.
	os.MkdirAll("/run/sshd", 0o755)
	port := FreePort(tb)
	conf := fmt.Sprintf(`ListenAddress 127.0.0.1:%d
HostKey %s
AuthorizedKeysFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
AcceptEnv BURST_*
PidFile none
`, port, filepath.Join(dir, "host_key"), filepath.Join(dir, "authorized_keys"))
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(conf), 0o600); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// sshd must be started by its absolute path; -D stays in the
	// foreground, -e logs to stderr.
	p := Start(tb, "sshd", addr, nil, sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	return &SSHD{Process: p, User: u.Username, KeyFile: filepath.Join(dir, "client_key")}
}

// Command returns an ssh command that runs remote on this server, sending
// the named environment variables of the ssh process itself (SendEnv), so
// that secrets travel in the environment, not on a command line.
func (s *SSHD) Command(ctx context.Context, sendEnv []string, remote ...string) *exec.Cmd {
	args := []string{"-i", s.KeyFile, "-p", strconv.Itoa(s.Port), "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"}
	for _, e := range sendEnv {
		args = append(args, "-o", "SendEnv="+e)
	}
	args = append(args, s.User+"@127.0.0.1")
	args = append(args, remote...)
	return exec.CommandContext(ctx, "ssh", args...)
}
