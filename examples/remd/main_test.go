package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/remdtest"
)

// The test binary doubles as the remd program (REMD_TEST_MAIN=1), so a test
// can run it as a child process and kill it.
func TestMain(m *testing.M) {
	pool.Main()
	if os.Getenv("REMD_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestBadFlagsAreNamed(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-system", "argon"}, "want harmonic, doublewell, lj13, lj38 or ljN"},
		{[]string{"-system", "lj1"}, "ljN with N ≥ 2"},
		{[]string{"-ladder", "cubic"}, "want geometric, linear or list"},
		{[]string{"-ladder", "list"}, "-ladder list needs -temps"},
		{[]string{"-temps", "1,0.5"}, "must increase strictly"},
		{[]string{"-temps", "1,x"}, `"x" is not a number`},
		{[]string{"-temps", "1,2", "-tmin", "1"}, "drop -tmin"},
		{[]string{"-exchange", "all"}, "want neighbors or swap-all"},
		{[]string{"-storage", "disk"}, "want payload, objectstore or shared"},
		{[]string{"-storage", "objectstore"}, "needs -storage-url"},
		{[]string{"-storage", "shared"}, "needs -shared-url"},
		{[]string{"-storage-url", "file:///tmp/x"}, "apply to -storage objectstore and shared"},
		{[]string{"-storage", "shared", "-shared-url", "mem://", "-backend", "process://?workers=2"}, "lives in this process only"},
		{[]string{"-dim", "3"}, "-dim applies only to -system harmonic"},
		{[]string{"-system", "harmonic", "-container", "3"}, "-container applies only to Lennard-Jones"},
		{[]string{"-swaps", "5"}, "-swaps applies only to -exchange swap-all"},
		{[]string{"-segments-per-call", "-1"}, "-segments-per-call -1: want 1 or more, or 0 to pack short segments automatically"},
		{[]string{"-replicas", "0"}, "need at least 1"},
		{[]string{"-tmin", "2", "-tmax", "1"}, "tmin ≤ tmax"},
		{[]string{"-rounds", "0"}, "rounds = 0"},
		{[]string{"-system", "doublewell", "-dt", "-1"}, "-dt -1: want a time step > 0"},
		{[]string{"-backend", "nowhere://"}, "nowhere"},
		{[]string{"-config", "no-such-burst.yaml"}, "no-such-burst.yaml"},
		{[]string{"-config", "x.yaml", "-backend", "local://"}, "either -config or -backend"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-options", "{}"}, "-options is for engines other than the model systems"},
		{[]string{"-system", "ww", "-options", "[1]", "-tmin", "300", "-tmax", "400"}, "want a JSON object"},
		{[]string{"-system", "ww", "-options", `{"dt":1}`, "-dt", "2", "-tmin", "300", "-tmax", "400"}, `both set "dt"`},
		{[]string{"-system", "gromacs"}, "no default temperatures"},
		{[]string{"-pdb", "x.pdb"}, "-pdb applies only to -system ww"},
		{[]string{"-system", "ww", "-par", "x.inp", "-options", `{"par":"y.inp"}`}, `both set "par"`},
	}
	for _, c := range cases {
		args := append([]string{"-out", t.TempDir(), "-quiet"}, c.args...)
		err := run(context.Background(), args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("remd %s: err = %v, want one mentioning %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// -system ww runs on the study's 300–400 K ladder by default, and -pdb, -psf
// and -par reach the engine's options.
func TestWWFlags(t *testing.T) {
	o, set, err := parse([]string{"-system", "ww", "-replicas", "4", "-pdb", "a.pdb", "-psf", "b.psf", "-par", "c.inp", "-dt", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.remdConfig(set)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Temperatures; len(got) != 4 || got[0] != 300 || got[3] != 400 {
		t.Errorf("temperatures = %v, want 4 from 300 to 400 K", got)
	}
	if got, want := string(cfg.Engine.Options), `{"dt":1,"par":"c.inp","pdb":"a.pdb","psf":"b.psf"}`; got != want {
		t.Errorf("engine options = %s, want %s", got, want)
	}
}

func TestWritesEveryFile(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-system", "doublewell", "-rounds", "30", "-steps", "50", "-out", dir}, &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"summary.json", "energies.csv", "samples.csv", "exchanges.csv", "walks.csv", "timing.csv", "report.svg", "report.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(stdout.String(), "acceptance:") {
		t.Errorf("stdout has no summary:\n%s", stdout.String())
	}
	var s remd.Summary
	b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.System != "doublewell" || s.Replicas != 8 || s.Rounds != 30 || len(s.Acceptance) != 7 {
		t.Errorf("summary = %+v, want doublewell, 8 replicas, 30 rounds, 7 pairs", s)
	}
}

func TestConfigFileNamesTheBackend(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "burst.yaml")
	if err := os.WriteFile(conf, []byte("compute: {backend: process}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	err := run(context.Background(), []string{"-config", conf, "-system", "doublewell", "-rounds", "5", "-steps", "20", "-out", out, "-quiet"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var s remd.Summary
	b, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Backend, "process:") {
		t.Errorf("backend = %q, want the config's process:// pool", s.Backend)
	}
}

// A run killed with SIGKILL at an arbitrary moment resumes with -resume to
// the same bytes as a run that was never interrupted: in process, and on
// worker processes with its short segments packed several to a call (some
// waiting in the driver, some in calls, when the kill lands).
func TestKilledRunResumesToIdenticalOutput(t *testing.T) {
	for _, c := range []struct{ name, backend, replicas string }{
		{"local", "local://", "6"},
		{"packed", "process://?workers=1", "8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// LJ13 rounds take a few milliseconds, so the kill lands mid-run.
			args := []string{"-system", "lj13", "-replicas", c.replicas, "-rounds", "200", "-steps", "400", "-seed", "7", "-quiet", "-backend", c.backend}
			want := t.TempDir()
			if err := run(context.Background(), append(args, "-out", want), io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(exe, append(args, "-out", dir)...)
			cmd.Env = append(os.Environ(), "REMD_TEST_MAIN=1")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill it once a few rounds are checkpointed, in the middle of a round.
			deadline := time.Now().Add(2 * time.Minute)
			for {
				var cp struct {
					Done  int   `json:"rounds_done"`
					Calls int64 `json:"calls"`
				}
				b, err := os.ReadFile(filepath.Join(dir, "checkpoint.json"))
				if err == nil && json.Unmarshal(b, &cp) == nil && cp.Done >= 20 {
					if c.name == "packed" && cp.Calls >= int64(cp.Done*8) {
						t.Errorf("%d calls for %d rounds of 8 segments: not packed", cp.Calls, cp.Done)
					}
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the run never checkpointed 20 rounds")
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if _, err := os.Stat(filepath.Join(dir, "summary.json")); err == nil {
				t.Skip("the run finished before it could be killed")
			}

			if err := run(context.Background(), append(args, "-out", dir, "-resume"), io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			got, exp := remdtest.Outputs(t, dir), remdtest.Outputs(t, want)
			for f := range exp {
				if !bytes.Equal(got[f], exp[f]) {
					t.Errorf("%s differs between the killed-and-resumed run and the uninterrupted one", f)
				}
			}
		})
	}
}

// child starts the test binary as remd with args.
func child(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "REMD_TEST_MAIN=1")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// Two remd processes on one -out: the second is refused with a message
// naming the first, and the first's files stay whole (they used to hold NUL
// bytes and rows of both runs).
func TestSecondProcessOnOneFolderIsRefused(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-system", "lj13", "-replicas", "4", "-rounds", "100000", "-steps", "200", "-quiet", "-out", dir}
	first, _ := child(t, args...)
	defer first.Process.Kill()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(dir, "checkpoint.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first run never checkpointed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	second, stderr := child(t, append(args, "-seed", "2")...)
	err := second.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("second run: %v, want exit status 2", err)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "in use by another run") || !strings.Contains(msg, "pid "+strconv.Itoa(first.Process.Pid)) {
		t.Errorf("second run said %q, want that the folder is in use by pid %d", msg, first.Process.Pid)
	}
	first.Process.Kill()
	first.Wait()
	b, err := os.ReadFile(filepath.Join(dir, "energies.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.IndexByte(b, 0) >= 0 {
		t.Error("energies.csv holds NUL bytes")
	}
	// What the killed first run checkpointed resumes (and its rows are its own).
	if err := run(context.Background(), []string{"-system", "lj13", "-replicas", "4", "-rounds", "1", "-steps", "200", "-quiet", "-out", dir, "-resume"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "more than the 1 asked for") {
		t.Errorf("resume of the first run's checkpoint: err = %v, want it to read it", err)
	}
}

// Flags that used to do something else than they said.
func TestFlagsThatMisled(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-out", "", "-quiet"}, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), `-out ""`) {
		t.Errorf(`-out "": err = %v, want a refusal (it used to report on ./summary.json of another run)`, err)
	}
	for _, v := range []string{"NaN", "Inf", "-Inf"} {
		stderr.Reset()
		err := run(context.Background(), []string{"-dt", v, "-out", t.TempDir(), "-quiet"}, io.Discard, &stderr)
		if err == nil || !strings.Contains(stderr.String(), `invalid value "`+v+`" for flag -dt: want a finite number`) {
			t.Errorf("-dt %s: err = %v, stderr %q, want a flag error naming -dt", v, err, stderr.String())
		}
	}
	err = run(context.Background(), []string{"-dt", "0", "-out", t.TempDir(), "-quiet"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-dt 0: want a time step > 0") {
		t.Errorf("-dt 0: err = %v, want a refusal (it silently meant the default)", err)
	}
	stderr.Reset()
	dir := t.TempDir()
	err = run(context.Background(), []string{"-system", "doublewell", "-rounds", "2", "-steps", "5", "-out", dir, "-quiet", "-resume"}, io.Discard, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "no checkpoint to resume from") {
		t.Errorf("-resume without a checkpoint said %q, want that it starts at round 0", stderr.String())
	}
}

// Sizes that cannot fit are refused with the estimate before the folder is
// touched (they used to run into the kernel's OOM killer after wiping it).
func TestTooBigIsRefusedUpFront(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "energies.csv"), []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-system", "lj99999999999"}, {"-replicas", "100000000"}} {
		err := run(context.Background(), append(args, "-out", dir, "-quiet"), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "of memory in the driver") {
			t.Errorf("%v: err = %v, want the memory estimate", args, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "energies.csv")); string(b) != "precious\n" {
		t.Error("a refused run touched the folder")
	}
}

// -out naming a file is refused with what was wrong and what is wanted (it
// said "mkdir x: not a directory"), and the file is left alone.
func TestOutIsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results")
	os.WriteFile(path, []byte("precious\n"), 0o644)
	err := run(context.Background(), []string{"-system", "doublewell", "-rounds", "2", "-out", path, "-quiet"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-out "+path+" is a file: want a directory") {
		t.Errorf("-out a file: err = %v, want one saying it is a file and a directory is wanted", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious\n" {
		t.Errorf("the file -out named now holds %q", b)
	}
}
