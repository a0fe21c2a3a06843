package testenv

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A test binary that dies without running its cleanups (a panic, go test's
// -timeout) leaves nothing of its Slurm cluster running: not the daemons,
// nor salloc/srun detached in process groups of their own, nor slurmstepd
// and the steps' tasks, which slurmd started outside the binary's reach.
// The test runs itself as a child that starts a cluster, a detached srun and
// a batch job with a step, then exits as -timeout's panic does.
func TestSlurmCrashLeavesNothing(t *testing.T) {
	if f := os.Getenv("TESTENV_SLURM_CRASH"); f != "" {
		crashWithCluster(t, f)
		return
	}
	NeedTool(t, "slurmd")
	file := filepath.Join(t.TempDir(), "cluster")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSlurmCrashLeavesNothing$", "-test.v")
	cmd.Env = append(os.Environ(), "TESTENV_SLURM_CRASH="+file)
	out, err := cmd.CombinedOutput()
	b, rerr := os.ReadFile(file)
	if rerr != nil {
		t.Fatalf("the child did not get its cluster's jobs running (%v): %v\n%s", rerr, err, out)
	}
	marks := strings.Split(strings.TrimSpace(string(b)), "\n")
	conf := strings.TrimPrefix(marks[0], "SLURM_CONF=")
	// The reaper sweeps once the binary is gone; a loaded machine may take
	// a while to schedule it.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		left := marked(marks...)
		_, dirErr := os.Stat(filepath.Dir(conf))
		if len(left) == 0 && os.IsNotExist(dirErr) {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				pid, _, _ := strings.Cut(p, " ")
				n, _ := strconv.Atoi(pid)
				syscall.Kill(n, syscall.SIGKILL)
			}
			t.Fatalf("2 min after the test binary died its cluster still runs %q (directory: %v)\nchild's output:\n%s",
				left, dirErr, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func crashWithCluster(t *testing.T, file string) {
	s := StartSlurm(t, SlurmOptions{})
	// Detached as pool/slurm's salloc is, so that only the reaper ends it.
	srun := s.Command(context.Background(), "srun", "--ntasks=1", "--chdir="+s.Dir, "sleep", "600")
	srun.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := srun.Start(); err != nil {
		t.Fatal(err)
	}
	s.Run("sbatch", "--parsable", "--output=/dev/null", "--chdir="+s.Dir, "--wrap", "srun sleep 600")
	marks := []string{"SLURM_CONF=" + s.Conf, "SLURM_CLUSTER_NAME=" + s.cluster}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		sleeps := 0
		for _, p := range marked(marks...) {
			// "pid /usr/bin/sleep 600", not srun's own command line.
			if f := strings.Fields(p); len(f) == 3 && filepath.Base(f[1]) == "sleep" {
				sleeps++
			}
		}
		if sleeps == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the two steps' sleeps never ran: %q", marked(marks...))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := os.WriteFile(file, []byte(strings.Join(marks, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Exit(3) // as -timeout's panic: no cleanup runs
}

// marked returns "pid command line" of every other process whose
// environment holds one of entries.
func marked(entries ...string) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	self := strconv.Itoa(os.Getpid())
	var found []string
	for _, d := range dirs {
		pid := filepath.Base(d)
		if pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil {
			continue
		}
		if slices.ContainsFunc(bytes.Split(env, []byte{0}), func(e []byte) bool {
			return slices.Contains(entries, string(e))
		}) {
			cmdline, _ := os.ReadFile(filepath.Join(d, "cmdline"))
			found = append(found, pid+" "+strings.TrimSpace(string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))))
		}
	}
	return found
}
