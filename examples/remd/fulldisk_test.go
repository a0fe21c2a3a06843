//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/burst-dev/burst/remd/remdtest"
)

// A child started with REMD_TEST_FSIZE=n may write no file beyond n bytes
// (RLIMIT_FSIZE): every write past it fails with EFBIG, as a write to a full
// disk fails with ENOSPC, at any file and any moment the sizes decide. It
// needs no privilege, so it runs in CI as anywhere.
func init() {
	s := os.Getenv("REMD_TEST_FSIZE")
	if s == "" || os.Getenv("REMD_TEST_MAIN") != "1" {
		return
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		panic("REMD_TEST_FSIZE: " + err.Error())
	}
	// The Go runtime already ignores SIGXFSZ (the kernel's default would
	// kill the process); say so here so the test does not depend on it.
	signal.Ignore(syscall.SIGXFSZ)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
		panic("REMD_TEST_FSIZE: " + err.Error())
	}
}

// runLimited runs the test binary as remd with args, its files limited to
// fsize bytes each, and returns its exit error and stderr.
func runLimited(t *testing.T, fsize int, args ...string) (string, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "REMD_TEST_MAIN=1", "REMD_TEST_FSIZE="+strconv.Itoa(fsize))
	cmd.Stderr = &stderr
	err = cmd.Run()
	return stderr.String(), err
}

// noLeftovers fails if dir holds a temporary file or the staging directory
// of a fresh run.
func noLeftovers(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") || e.Name() == ".remd-new" {
			t.Errorf("%s left behind in %s", e.Name(), dir)
		}
	}
}

// checkpointed returns the rounds dir's checkpoint has done, failing if it
// does not parse.
func checkpointed(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "checkpoint.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cp struct {
		Done *int `json:"rounds_done"`
	}
	if err := json.Unmarshal(b, &cp); err != nil || cp.Done == nil {
		t.Fatalf("checkpoint.json after the failure does not parse (%v): %.200q", err, b)
	}
	return *cp.Done
}

// A full disk stops the run with an error naming the file and the cause; the
// last checkpoint stays whole, nothing half-written is left, and once there
// is room again -resume gives the same bytes as a run that never stopped.
// The folder of an earlier run is untouched when the disk fills before a
// fresh run's first checkpoint.
func TestFullDiskLosesNothing(t *testing.T) {
	args := []string{"-system", "doublewell", "-replicas", "5", "-rounds", "40", "-steps", "40", "-seed", "3", "-quiet"}
	want := t.TempDir()
	if err := run(context.Background(), append(args, "-out", want), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	exp := remdtest.Outputs(t, want)
	for _, name := range []string{"energies.csv", "samples.csv", "report.png"} {
		if fi, err := os.Stat(filepath.Join(want, name)); err != nil || name != "report.png" && fi.Size() < 6000 {
			t.Fatalf("%s of the uninterrupted run: %v, want > 6000 bytes (the limits below assume it)", name, err)
		}
	}
	resumeSame := func(t *testing.T, dir string) {
		t.Helper()
		if err := run(context.Background(), append(args, "-out", dir, "-resume"), io.Discard, io.Discard); err != nil {
			t.Fatalf("-resume once there is room: %v", err)
		}
		got := remdtest.Outputs(t, dir)
		for f := range exp {
			if !bytes.Equal(got[f], exp[f]) {
				t.Errorf("%s differs between the run stopped by a full disk and resumed, and one never stopped", f)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "report.png")); err != nil {
			t.Errorf("the resumed run wrote no report: %v", err)
		}
		noLeftovers(t, dir)
	}
	// wantErr checks a stopped run's exit and message: the file by the name
	// the user sees (not a staging or temporary name), the cause, the way
	// on, and no call blamed for it.
	wantErr := func(t *testing.T, err error, stderr, file, hint string) {
		t.Helper()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("run on a full disk: %v, want exit status 2", err)
		}
		for _, s := range []string{file + ": file too large", hint} {
			if !strings.Contains(stderr, s) {
				t.Errorf("stderr %q: want it to name %q", stderr, s)
			}
		}
		for _, s := range []string{".remd-new", ".tmp", "pool: call"} {
			if strings.Contains(stderr, s) {
				t.Errorf("stderr %q: names %q", stderr, s)
			}
		}
	}

	t.Run("mid-run", func(t *testing.T) {
		// samples.csv, the fastest-growing file, reaches 3000 bytes after
		// about 10 of the 40 rounds.
		dir := t.TempDir()
		stderr, err := runLimited(t, 3000, append(args, "-out", dir)...)
		wantErr(t, err, stderr, filepath.Join(dir, "samples.csv"), "continue the run with -resume")
		if done := checkpointed(t, dir); done < 1 || done >= 40 {
			t.Errorf("checkpoint after the failure has %d rounds done, want some of 40", done)
		}
		if _, err := os.Stat(filepath.Join(dir, "summary.json")); err == nil {
			t.Error("a run stopped by a full disk wrote summary.json")
		}
		noLeftovers(t, dir)
		// Still full: the resume stops again, and loses nothing either.
		stderr, err = runLimited(t, 3000, append(args, "-out", dir, "-resume")...)
		wantErr(t, err, stderr, filepath.Join(dir, "samples.csv"), "continue the run with -resume")
		resumeSame(t, dir)
	})

	t.Run("first checkpoint", func(t *testing.T) {
		// The checkpoint (about 1 KB) does not fit: the fresh run fails at
		// round 0, and the earlier run in the folder must stay as it was.
		dir := t.TempDir()
		if err := run(context.Background(), []string{"-system", "doublewell", "-replicas", "5", "-rounds", "3", "-steps", "40", "-seed", "9", "-quiet", "-out", dir}, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		before := readAll(t, dir)
		stderr, err := runLimited(t, 700, append(args, "-out", dir)...)
		wantErr(t, err, stderr, filepath.Join(dir, "checkpoint.json"), "the folder is left as it was")
		after := readAll(t, dir)
		if len(after) != len(before) {
			t.Errorf("the failed run changed the folder's files: %d before, %d after", len(before), len(after))
		}
		for name, b := range before {
			if !bytes.Equal(after[name], b) {
				t.Errorf("the failed run changed the earlier run's %s", name)
			}
		}
		noLeftovers(t, dir)
	})

	t.Run("report", func(t *testing.T) {
		// report.png (160 KB) is the only file over 100 KB: the run is done
		// when writing it fails.
		dir := t.TempDir()
		stderr, err := runLimited(t, 100_000, append(args, "-out", dir)...)
		wantErr(t, err, stderr, filepath.Join(dir, "report.png"), "run again with -resume")
		if !strings.Contains(stderr, "are complete") {
			t.Errorf("stderr %q: want it to say that the run's results are complete", stderr)
		}
		if done := checkpointed(t, dir); done != 40 {
			t.Errorf("checkpoint has %d rounds done, want all 40", done)
		}
		resumeSame(t, dir)
	})
}

// readAll returns every regular file of dir but the lock, by name.
func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range ents {
		if e.IsDir() || e.Name() == ".remd.lock" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

// SIGKILL at the worst moments: while a checkpoint's temporary file exists,
// between its creation and its rename (inotify reports the creation; with
// -durable the file is synced before the rename, which keeps the window
// open for the kill). Each killed run resumes, leaves no temporary file
// behind once resumed, and the end result is the bytes of a run never
// killed.
func TestKillDuringCheckpointWrite(t *testing.T) {
	args := []string{"-system", "lj13", "-replicas", "6", "-rounds", "60", "-steps", "400", "-seed", "11", "-quiet", "-durable"}
	want := t.TempDir()
	if err := run(context.Background(), append(args, "-out", want), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for kill := 0; kill < 4; kill++ {
		a := append(args, "-out", dir)
		if kill > 0 {
			a = append(a, "-resume")
		}
		in, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := unix.InotifyAddWatch(in, dir, unix.IN_CREATE); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, a...)
		cmd.Env = append(os.Environ(), "REMD_TEST_MAIN=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Skip the first few checkpoints of this life, then kill at the
		// next creation of a checkpoint's temporary file.
		seen := 0
		buf := make([]byte, 64<<10)
		var exitErr error
		for killed := false; !killed; {
			select {
			case exitErr = <-exited:
				t.Fatalf("run %d ended before it was killed: %v\n%s", kill+1, exitErr, stderr.String())
			default:
			}
			fds := []unix.PollFd{{Fd: int32(in), Events: unix.POLLIN}}
			if _, err := unix.Poll(fds, 100); err != nil && !errors.Is(err, unix.EINTR) {
				t.Fatal(err)
			}
			n, err := unix.Read(in, buf)
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
				off += unix.SizeofInotifyEvent + int(ev.Len)
				if !killed && strings.HasPrefix(name, "checkpoint.json.tmp") {
					if seen++; seen > 3+kill {
						cmd.Process.Signal(syscall.SIGKILL)
						killed = true
					}
				}
			}
		}
		unix.Close(in)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			t.Fatal("a SIGKILLed run did not exit")
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "checkpoint.json.tmp") {
				hits++
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "summary.json")); err == nil {
			t.Fatalf("the run finished before kill %d", kill+1)
		}
		checkpointed(t, dir)
	}
	t.Logf("%d of 4 kills left a checkpoint's temporary file behind (killed between create and rename)", hits)
	if err := run(context.Background(), append(args, "-out", dir, "-resume"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	noLeftovers(t, dir)
	got, exp := remdtest.Outputs(t, dir), remdtest.Outputs(t, want)
	for f := range exp {
		if !bytes.Equal(got[f], exp[f]) {
			t.Errorf("%s differs between the run killed 4 times while checkpointing and resumed, and one never killed", f)
		}
	}
}
