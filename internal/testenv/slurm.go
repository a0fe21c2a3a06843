package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SlurmOptions configures StartSlurm.
type SlurmOptions struct {
	// CPUs is how many CPUs the one node declares (default 8). It may exceed
	// the machine's: slurmd is told to trust the configuration, so tests can
	// place more tasks than cores, as oversubscribed CI machines must.
	CPUs int
	// Conf is appended to the generated slurm.conf (before the node and
	// partition lines), e.g. "SchedulerParameters=...".
	Conf string
}

// Slurm is a one-node Slurm cluster started for a test: munged, slurmctld
// and slurmd, all in the foreground as children of the test, with their
// state, spool, logs and munge key in a private directory. This host is both
// controller and compute node; the daemons talk over 127.0.0.1 on free ports.
//
// Client commands (sbatch, squeue, …) find the cluster through SLURM_CONF:
// use Env, or Command, which sets it.
type Slurm struct {
	Dir  string // state, spool, logs, munge key and socket
	Conf string // path of slurm.conf
	Node string // the node's name (this host's short name)
	// CtldPort and SlurmdPort are the daemons' TCP ports.
	CtldPort, SlurmdPort int

	tb                  testing.TB
	cluster             string // ClusterName, unique per cluster
	munged, ctld, slurm *exec.Cmd
	ctldExited          chan struct{}
	reaper              *exec.Cmd
	reaperIn            *os.File     // its stdin; closing it starts the sweep
	reaperOut           bytes.Buffer // what it killed
}

// Env returns the environment entries that point Slurm's client commands at
// this cluster.
func (s *Slurm) Env() []string { return []string{"SLURM_CONF=" + s.Conf} }

// Command returns a Slurm client command (sbatch, squeue, scancel, sinfo,
// scontrol, …) aimed at this cluster.
func (s *Slurm) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), s.Env()...)
	return cmd
}

// Run runs a client command and returns its trimmed stdout, failing the test
// on error.
func (s *Slurm) Run(name string, args ...string) string {
	s.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	var stderr bytes.Buffer
	cmd := s.Command(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.tb.Fatalf("testenv: %s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// StartSlurm starts a one-node cluster and waits until sinfo shows the node
// idle. It skips the test when Slurm or munge is not installed (failing
// under CI). Everything is stopped when the test ends: jobs are cancelled
// first, then the daemons stopped, then whatever the cluster still runs is
// killed (see reaperScript) — also when the test binary dies without running
// its cleanups (a panic, -timeout), so a failed test cannot leave salloc,
// srun or slurmstepd behind for the next package's tests.
func StartSlurm(tb testing.TB, opts SlurmOptions) *Slurm {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skip("skipping: the test cluster needs Linux")
	}
	mungedBin := NeedTool(tb, "munged")
	ctldBin := NeedTool(tb, "slurmctld")
	slurmdBin := NeedTool(tb, "slurmd")
	for _, c := range []string{"sbatch", "squeue", "scancel", "sinfo", "srun", "scontrol"} {
		NeedTool(tb, c)
	}
	if opts.CPUs < 1 {
		opts.CPUs = 8
	}
	// Not tb.TempDir: munge's socket path must fit a sockaddr_un (108
	// bytes), and test names make those directories long.
	dir, err := os.MkdirTemp("", "burst-slurm-")
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	// munged refuses a key directory that others can write; MkdirTemp's is 0700.
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	s := &Slurm{Dir: dir, Conf: filepath.Join(dir, "slurm.conf"), Node: host, tb: tb,
		CtldPort: FreePort(tb), SlurmdPort: FreePort(tb),
		cluster: "bursttest" + strings.TrimPrefix(filepath.Base(dir), "burst-slurm-")}
	s.startReaper()
	tb.Cleanup(s.stop)
	for _, d := range []string{"state", "spool", "log"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
	}
	key := make([]byte, 1024)
	rand.Read(key)
	if err := os.WriteFile(filepath.Join(dir, "munge.key"), key, 0o600); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	if err := os.WriteFile(s.Conf, []byte(s.config(opts)), 0o644); err != nil {
		tb.Fatalf("testenv: %v", err)
	}

	sock := filepath.Join(dir, "munge.sock")
	// --force: munged refuses to run as root, or with its files under a
	// world-writable /tmp, unless forced; this cluster lives for one test.
	s.munged = s.daemon("munged", mungedBin, "--foreground", "--force",
		"--key-file="+filepath.Join(dir, "munge.key"), "--socket="+sock,
		"--pid-file="+filepath.Join(dir, "munged.pid"), "--seed-file="+filepath.Join(dir, "munge.seed"),
		"--log-file="+filepath.Join(dir, "log", "munged.log"), "--num-threads=2")
	if err := waitFile(sock, patience); err != nil {
		tb.Fatalf("testenv: munged: %v%s", err, s.logs())
	}
	s.startCtld(ctldBin)
	s.slurm = s.daemon("slurmd", slurmdBin, "-D", "-f", s.Conf, "-N", s.Node)
	if err := s.WaitIdle(patience); err != nil {
		tb.Fatalf("testenv: %v%s", err, s.logs())
	}
	return s
}

func (s *Slurm) config(opts SlurmOptions) string {
	p := func(name string) string { return filepath.Join(s.Dir, name) }
	// proctrack/linuxproc and task/none need neither systemd nor cgroups;
	// accounting is off (no slurmdbd), so sacct has nothing: squeue and
	// scontrol are the sources of job state.
	return fmt.Sprintf(`ClusterName=%[13]s
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[2]d
SlurmdPort=%[3]d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%[4]s
StateSaveLocation=%[5]s
SlurmdSpoolDir=%[6]s
SlurmctldPidFile=%[7]s
SlurmdPidFile=%[8]s
SlurmctldLogFile=%[9]s
SlurmdLogFile=%[10]s
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmdParameters=config_overrides
SlurmctldTimeout=30
SlurmdTimeout=30
KillWait=2
MinJobAge=300
%[11]s
NodeName=%[1]s NodeAddr=127.0.0.1 CPUs=%[12]d RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`, s.Node, s.CtldPort, s.SlurmdPort, p("munge.sock"), p("state"), p("spool"),
		p("slurmctld.pid"), p("slurmd.pid"), p("log/slurmctld.log"), p("log/slurmd.log"),
		opts.Conf, opts.CPUs, s.cluster)
}

// daemon starts a daemon in the foreground, its output in the log dir.
func (s *Slurm) daemon(name, bin string, args ...string) *exec.Cmd {
	s.tb.Helper()
	out, err := os.OpenFile(filepath.Join(s.Dir, "log", name+".out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.tb.Fatalf("testenv: %v", err)
	}
	defer out.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), s.Env()...)
	cmd.Stdout, cmd.Stderr = out, out
	// Pdeathsig, so a test binary killed by -timeout leaves no daemon.
	cmd.SysProcAttr = serverAttr()
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("testenv: start %s: %v", name, err)
	}
	return cmd
}

func (s *Slurm) startCtld(bin string) {
	s.tb.Helper()
	s.ctld = s.daemon("slurmctld", bin, "-D", "-f", s.Conf)
	exited := make(chan struct{})
	s.ctldExited = exited
	cmd := s.ctld
	go func() { cmd.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := WaitTCP(ctx, net.JoinHostPort("127.0.0.1", strconv.Itoa(s.CtldPort))); err != nil {
		s.tb.Fatalf("testenv: slurmctld: %v%s", err, s.logs())
	}
}

// RestartController stops slurmctld (SIGTERM, which saves its state, as an
// administrator's restart does) and starts it again on the same state
// directory, which it recovers jobs from; it returns once the controller
// answers again. (A SIGKILL right after a submission can lose that job:
// slurmctld writes its state files in the background.)
func (s *Slurm) RestartController() {
	s.tb.Helper()
	bin := s.ctld.Path
	s.ctld.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.ctldExited:
	case <-time.After(30 * time.Second):
		s.ctld.Process.Kill()
		<-s.ctldExited
	}
	s.startCtld(bin)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	for ctx.Err() == nil {
		if err := s.Command(ctx, "sinfo", "-h").Run(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.tb.Fatalf("testenv: slurmctld did not answer after restart%s", s.logs())
}

// WaitIdle waits until sinfo shows the node idle.
func (s *Slurm) WaitIdle(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last string
	for {
		out, err := s.Command(ctx, "sinfo", "-h", "-N", "-o", "%T").CombinedOutput()
		last = strings.TrimSpace(string(out))
		if err == nil && last == "idle" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("slurm node not idle after %v: sinfo says %q", timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Jobs returns the ids of the jobs squeue lists (pending or running).
func (s *Slurm) Jobs() []string {
	s.tb.Helper()
	return strings.Fields(s.Run("squeue", "-h", "-o", "%i"))
}

// stop cancels every job, waits a moment for their steps to end, stops the
// daemons by PID, lets the reaper kill whatever is left and removes the
// directory.
func (s *Slurm) stop() {
	ctldUp := s.ctld != nil
	if ctldUp {
		select {
		case <-s.ctldExited:
			ctldUp = false
		default:
		}
	}
	if ctldUp {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.Command(ctx, "scancel", "--full", "--user", strconv.Itoa(os.Getuid())).Run(); err == nil {
			for ctx.Err() == nil {
				out, err := s.Command(ctx, "squeue", "-h", "-o", "%i").Output()
				if err != nil || len(bytes.TrimSpace(out)) == 0 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		cancel()
	}
	if s.tb.Failed() {
		s.tb.Logf("slurm logs:%s", s.logs())
	}
	for _, c := range []*exec.Cmd{s.slurm, s.ctld, s.munged} {
		if c != nil && c.Process != nil {
			c.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, c := range []*exec.Cmd{s.slurm, s.ctld, s.munged} {
		if c == nil || c.Process == nil {
			continue
		}
		done := make(chan struct{})
		go func() {
			if c == s.ctld {
				<-s.ctldExited
			} else {
				c.Wait()
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			killGroup(c.Process.Pid)
			<-done
		}
	}
	if s.reaper != nil {
		s.reaperIn.Close()
		done := make(chan struct{})
		go func() { s.reaper.Wait(); close(done) }()
		select {
		case <-done:
			if out := strings.TrimSpace(s.reaperOut.String()); out != "" {
				s.tb.Logf("testenv: killed what the slurm cluster still ran (pid, command):\n%s", out)
			}
		case <-time.After(patience):
			s.tb.Logf("testenv: the slurm cluster's reaper (pid %d) still sweeps after %v", s.reaper.Process.Pid, patience)
		}
	}
	os.RemoveAll(s.Dir)
}

// reaperScript waits for its stdin to reach EOF — closed by stop, or by the
// kernel when the test binary dies without running its cleanups — then
// SIGKILLs every process whose environment marks it as this cluster's, prints
// what it killed, and removes the cluster's directory. The marks are $1,
// SLURM_CONF=…, which the daemons, the client commands, salloc, srun and job
// steps inherit from the test, and $2, SLURM_CLUSTER_NAME=…, which
// slurmstepd gives every task even under --export=NONE. Neither a process
// group nor parent-death signals reach slurmstepd (slurmd starts it
// detached) or salloc (pool/slurm detaches it on purpose), hence the scan.
// It sweeps until a pass finds nothing, as a killed parent's child may have
// been forked during the pass. SIGPIPE is ignored so that printing to a
// dead test binary cannot stop the sweep.
const reaperScript = `trap '' PIPE
cat >/dev/null
for pass in 1 2 3 4 5 6 7 8 9 10; do
	found=
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" = "$$" ] && continue
		if grep -qzxF -e "$1" -e "$2" "$d/environ" 2>/dev/null; then
			cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)
			kill -9 "$pid" 2>/dev/null && found=1 && echo "$pid $cmd"
		fi
	done
	[ -z "$found" ] && break
	sleep 0.2
done
rm -rf -- "$3"
`

// startReaper starts reaperScript outside the test binary's process group
// and without Pdeathsig: it must outlive the binary. Its environment has
// neither mark, so it does not kill itself or its grep.
func (s *Slurm) startReaper() {
	s.tb.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		s.tb.Fatalf("testenv: %v", err)
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c", reaperScript, "slurm-reaper",
		"SLURM_CONF="+s.Conf, "SLURM_CLUSTER_NAME="+s.cluster, s.Dir)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	cmd.Stdin = r
	cmd.Stdout, cmd.Stderr = &s.reaperOut, &s.reaperOut
	cmd.SysProcAttr = ownGroupAttr()
	if err := cmd.Start(); err != nil {
		w.Close()
		s.tb.Fatalf("testenv: start the cluster's reaper: %v", err)
	}
	s.reaper, s.reaperIn = cmd, w
}

// logs returns the tails of the daemons' logs, for failure messages.
func (s *Slurm) logs() string {
	var b strings.Builder
	for _, name := range []string{"munged.log", "munged.out", "slurmctld.log", "slurmctld.out", "slurmd.log", "slurmd.out"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, "log", name))
		if err != nil || len(data) == 0 {
			continue
		}
		if len(data) > 3000 {
			data = data[len(data)-3000:]
		}
		fmt.Fprintf(&b, "\n--- %s (tail)\n%s", name, data)
	}
	return b.String()
}

func waitFile(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear within %v", path, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
