package slurm_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/pool/slurm"
	"github.com/burst-dev/burst/pool/tcp"
)

const envTestDriver = "BURST_SLURM_TEST_DRIVER" // makes this test binary a driver for the SIGKILL test

func TestMain(m *testing.M) {
	pool.Main()
	if u := os.Getenv(envTestDriver); u != "" {
		runTestDriver(u)
		return
	}
	os.Exit(m.Run())
}

// runTestDriver opens a pool, says "ready" once its workers are connected,
// and waits to be killed.
func runTestDriver(u string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := pool.Open(ctx, u)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	var b *slurm.Backend
	if !p.As(&b) {
		fmt.Println("error: pool.As(*slurm.Backend) = false")
		os.Exit(1)
	}
	if err := b.WaitWorkers(ctx, 2); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready", strings.Join(b.JobIDs(), ","))
	<-ctx.Done()
}

var (
	step = pool.Register("slurm.step", func(ctx context.Context, x int) (int, error) {
		select {
		case <-time.After(100 * time.Millisecond):
			return x * 10, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
	whereAmI = pool.Register("slurm.where", func(ctx context.Context, _ int) (string, error) {
		return os.Getenv("SLURM_JOB_ID") + "." + os.Getenv("SLURM_STEP_ID"), nil
	})
)

func cluster(t *testing.T) *testenv.Slurm {
	t.Helper()
	s := testenv.StartSlurm(t, testenv.SlurmOptions{})
	t.Setenv("SLURM_CONF", s.Conf)
	return s
}

func slurmURL(t *testing.T, workers int, extra string) string {
	return fmt.Sprintf("slurm://?workers=%d&listen=127.0.0.1:0&poll=500ms&log_dir=%s%s", workers, url.QueryEscape(t.TempDir()), extra)
}

func open(t *testing.T, rawURL string, opts ...pool.Option) (*pool.Pool, *slurm.Backend) {
	t.Helper()
	p, err := pool.Open(context.Background(), rawURL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	var b *slurm.Backend
	if !p.As(&b) {
		t.Fatal("pool.As(*slurm.Backend) = false")
	}
	return p, b
}

func waitWorkers(t *testing.T, b *slurm.Backend, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := b.WaitWorkers(ctx, n); err != nil {
		t.Fatal(err)
	}
}

// waitNoJobs waits until squeue lists no job, within bound.
func waitNoJobs(t testing.TB, s *testenv.Slurm, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		jobs := s.Jobs()
		if len(jobs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("squeue still lists jobs %v %v later", jobs, bound)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestConformance(t *testing.T) {
	s := cluster(t)
	pooltest.Run(t, pooltest.Harness{
		Open: func(t *testing.T, opts ...pool.Option) *pool.Pool {
			p, _ := open(t, slurmURL(t, 2, ""), opts...)
			return p
		},
		OpenOtherBuild: func(t *testing.T) *pool.Pool {
			p, err := slurm.New(context.Background(), slurm.Options{Workers: 1, Listen: "127.0.0.1:0",
				LogDir: t.TempDir(), Poll: 500 * time.Millisecond, Env: []string{"BURST_BUILD_ID=another-build"}})
			if err != nil {
				t.Fatal(err)
			}
			pp := pool.New(p)
			t.Cleanup(func() { pp.Close() })
			return pp
		},
		Remote: true,
	})
	_ = s
}

func mapAll(t *testing.T, p *pool.Pool, n int) {
	t.Helper()
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := step.Map(ctx, p, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != 10*i {
			t.Fatalf("out[%d] = %d, want %d", i, v, 10*i)
		}
	}
}

func TestScancelOfOneWorkerStepMidMap(t *testing.T) {
	s := cluster(t)
	p, b := open(t, slurmURL(t, 2, ""))
	waitWorkers(t, b, 2)
	first := b.JobIDs()
	var calls atomic.Int64
	p = p.With(pool.WithCallHook(func(pool.CallStats) { calls.Add(1) }))
	cancelled := make(chan struct{})
	go func() {
		defer close(cancelled)
		for calls.Load() < 10 {
			time.Sleep(10 * time.Millisecond)
		}
		var steps []string
		for _, st := range strings.Fields(s.Run("squeue", "-h", "-s", "-o", "%i")) {
			if job, n, ok := strings.Cut(st, "."); ok && job == first[0] && n != "batch" && n != "extern" {
				steps = append(steps, st)
			}
		}
		if len(steps) == 0 {
			t.Errorf("no worker step of job %s in squeue -s", first[0])
			return
		}
		s.Run("scancel", steps[0])
	}()
	mapAll(t, p, 60)
	if st := p.Stats(); st.Calls != 60 {
		t.Errorf("Stats.Calls = %d, want 60 (each call once)", st.Calls)
	}
	// The lost worker is replaced by a job of its own.
	<-cancelled
	deadline := time.Now().Add(90 * time.Second)
	for len(b.JobIDs()) < 2 || b.Connected() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("after a step was cancelled: jobs %v, %d workers connected; want a replacement job beside %v and 2 workers",
				b.JobIDs(), b.Connected(), first)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestWorkerHittingItsTimeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("slurm time limits are whole minutes: this test takes about two")
	}
	s := cluster(t)
	// The first job's workers hit the one-minute limit (Slurm enforces it
	// within about 30 s more) while Maps run; the calls they held are
	// retried and replacement jobs take over.
	p, b := open(t, slurmURL(t, 2, "&time=1"))
	waitWorkers(t, b, 2)
	first := b.JobIDs()[0]
	deadline := time.Now().Add(4 * time.Minute)
	for slices.Contains(b.JobIDs(), first) {
		if time.Now().After(deadline) {
			t.Fatalf("job %s still running 4 minutes later: %s", first, s.Run("scontrol", "show", "job", first, "-o"))
		}
		mapAll(t, p, 40)
	}
	mapAll(t, p, 40) // on the replacements
	if st := s.Run("scontrol", "show", "job", first, "-o"); !strings.Contains(st, "JobState=TIMEOUT") {
		t.Errorf("first job %s: %s; want JobState=TIMEOUT", first, st)
	}
	if got := len(b.JobIDs()); got == 0 {
		t.Error("no replacement job after the first timed out")
	}
}

func TestControllerRestartedWhileThePoolIsOpen(t *testing.T) {
	s := cluster(t)
	p, b := open(t, slurmURL(t, 2, ""))
	waitWorkers(t, b, 2)
	mapAll(t, p, 20)
	s.RestartController()
	mapAll(t, p, 20)
	if got := b.Connected(); got != 2 {
		t.Errorf("%d workers connected after the controller restart, want 2", got)
	}
	p.Close()
	waitNoJobs(t, s, 60*time.Second)
}

func TestCloseCancelsTheJob(t *testing.T) {
	s := cluster(t)
	p, b := open(t, slurmURL(t, 2, ""))
	waitWorkers(t, b, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	where, err := whereAmI.Map(ctx, p, []int{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range where {
		if !strings.HasPrefix(w, b.JobIDs()[0]+".") {
			t.Errorf("a call ran in %q, not in a step of job %s", w, b.JobIDs()[0])
		}
	}
	p.Close()
	waitNoJobs(t, s, 60*time.Second)
}

func TestDriverKilledLeavesNoJob(t *testing.T) {
	s := cluster(t)
	// An allocation (salloc outlives the driver) and a batch job.
	for _, submit := range []string{slurm.SubmitAuto, slurm.SubmitSbatch} {
		t.Run(submit, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envTestDriver+"="+slurmURL(t, 2, "&submit="+submit))
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "ready ") {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("driver said %q, %v; want ready", line, err)
			}
			if jobs := s.Jobs(); len(jobs) == 0 {
				t.Fatal("no job in squeue while the driver runs")
			}
			cmd.Process.Kill()
			cmd.Wait()
			waitNoJobs(t, s, 60*time.Second)
		})
	}
}

// A driver that stops without its connections ending — as one whose host
// lost power or was cut off looks to its workers: no FIN, no reset, and
// here even keepalive answered by its kernel — leaves no job either: the
// workers hear none of its pings and exit, and the jobs end. Before, they
// served the stopped driver for as long as anyone waited.
func TestDriverStoppedLeavesNoJob(t *testing.T) {
	s := cluster(t)
	for _, submit := range []string{slurm.SubmitAuto, slurm.SubmitSbatch} {
		t.Run(submit, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			logs := t.TempDir()
			u := fmt.Sprintf("slurm://?workers=2&listen=127.0.0.1:0&poll=500ms&log_dir=%s&liveness=300ms&submit=%s", url.QueryEscape(logs), submit)
			cmd.Env = append(os.Environ(), envTestDriver+"="+u)
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Kill()
				cmd.Wait()
			}()
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "ready ") {
				t.Fatalf("driver said %q, %v; want ready", line, err)
			}
			if jobs := s.Jobs(); len(jobs) == 0 {
				t.Fatal("no job in squeue while the driver runs")
			}
			if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			waitNoJobs(t, s, 60*time.Second)
			// Each worker's step log says why it left.
			steps, _ := filepath.Glob(filepath.Join(logs, "burst-*.*.out"))
			said := 0
			for _, f := range steps {
				if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), "nothing from the driver") {
					said++
				}
			}
			if said != 2 {
				t.Fatalf("%d of the step logs %v say the worker heard nothing from the driver, want 2", said, steps)
			}
		})
	}
}

// A cluster with no free CPU now: the allocation is refused and the
// workers come as a queued batch job once the CPUs are free.
func TestBusyClusterQueuesABatchJob(t *testing.T) {
	s := cluster(t)
	blocker := s.Run("sbatch", "--parsable", "--ntasks=8", "--output=/dev/null", "--wrap", "sleep 5")
	deadline := time.Now().Add(time.Minute)
	for s.Run("squeue", "-h", "-j", blocker, "-o", "%T") != "RUNNING" {
		if time.Now().After(deadline) {
			t.Fatalf("blocking job %s did not start: %s", blocker, s.Run("squeue", "-h", "-j", blocker, "-o", "%T %r"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	p, b := open(t, slurmURL(t, 2, ""))
	ids := b.JobIDs()
	if len(ids) != 1 {
		t.Fatalf("jobs %v after Open, want 1", ids)
	}
	if st := s.Run("scontrol", "show", "job", ids[0], "-o"); !strings.Contains(st, "BatchFlag=1") {
		t.Errorf("job %s while the node is full: %s; want a batch job (BatchFlag=1)", ids[0], st)
	}
	mapAll(t, p, 10)
	p.Close()
	waitNoJobs(t, s, 60*time.Second)
}

// On a free cluster the workers come as an allocation, not a batch job.
func TestFreeClusterAllocatesAtOnce(t *testing.T) {
	s := cluster(t)
	p, b := open(t, slurmURL(t, 2, ""))
	ids := b.JobIDs()
	if len(ids) != 1 {
		t.Fatalf("jobs %v after Open, want 1", ids)
	}
	if st := s.Run("scontrol", "show", "job", ids[0], "-o"); !strings.Contains(st, "BatchFlag=0") || !strings.Contains(st, "JobState=RUNNING") {
		t.Errorf("job %s right after Open: %s; want a running allocation (BatchFlag=0)", ids[0], st)
	}
	mapAll(t, p, 10)
}

func TestURLRejectsUnknownParameters(t *testing.T) {
	for _, u := range []string{"slurm://?workerz=2", "slurm://?workers=two", "slurm://?policy=greedy", "slurm://host?workers=1", "slurm://?idle=soon"} {
		_, err := pool.Open(context.Background(), u)
		if err == nil {
			t.Errorf("Open(%q) succeeded, want an error", u)
			continue
		}
		t.Logf("%s: %v", u, err)
	}
}

func TestCheck(t *testing.T) {
	cluster(t)
	if err := slurm.Check(context.Background(), slurm.Options{Listen: "127.0.0.1:0", LogDir: t.TempDir(), Partition: "debug"}); err != nil {
		t.Fatalf("Check on a working cluster: %v", err)
	}
	err := slurm.Check(context.Background(), slurm.Options{Listen: "127.0.0.1:0", LogDir: t.TempDir(), Partition: "nosuch"})
	if err == nil || !strings.Contains(err.Error(), `partition "nosuch"`) {
		t.Fatalf("Check with an unknown partition: err = %v, want it named", err)
	}
}

func TestAdaptiveScalesWithCallsAndReleasesIdleWorkers(t *testing.T) {
	s := cluster(t)
	p, b := open(t, slurmURL(t, 2, "&policy=adaptive&min=0&max=2&idle=2s"))
	if ids := b.JobIDs(); len(ids) != 0 {
		t.Fatalf("an adaptive pool with min=0 submitted %v before any call", ids)
	}
	mapAll(t, p, 40)
	if n := len(b.JobIDs()); n == 0 {
		t.Fatal("no job while calls ran")
	}
	// Idle for 2 s: the jobs are cancelled.
	waitNoJobs(t, s, time.Minute)
	// And calls bring workers back.
	mapAll(t, p, 10)
}

func TestSecretIsNeitherInTheJobScriptNorOnACommandLine(t *testing.T) {
	s := cluster(t)
	for _, submit := range []string{slurm.SubmitAuto, slurm.SubmitSbatch} {
		t.Run(submit, func(t *testing.T) {
			p, b := open(t, slurmURL(t, 2, "&submit="+submit))
			waitWorkers(t, b, 2)
			var secret string
			for _, kv := range b.WorkerEnv() {
				if v, ok := strings.CutPrefix(kv, tcp.EnvSecret+"="); ok {
					secret = v
				}
			}
			if len(secret) < 16 {
				t.Fatalf("no secret in WorkerEnv: %q", b.WorkerEnv())
			}
			if submit == slurm.SubmitSbatch {
				script := s.Run("scontrol", "write", "batch_script", b.JobIDs()[0], "-")
				if !strings.Contains(script, "srun") {
					t.Fatalf("scontrol write batch_script gave %q, not the job's script", script)
				}
				if strings.Contains(script, secret) {
					t.Fatal("the pool secret is in the job script")
				}
			}
			procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
			for _, f := range procs {
				if cmdline, err := os.ReadFile(f); err == nil && strings.Contains(string(cmdline), secret) {
					t.Errorf("the pool secret is on the command line of %s: %q", f, cmdline)
				}
			}
			p.Close()
			waitNoJobs(t, s, 60*time.Second)
		})
	}
}

// gatedIn is an input of gated: the first Free calls to start (counted
// across workers by tickets in Dir) work for 100 ms; the others wait until
// the file Dir/gate exists first.
type gatedIn struct {
	X    int
	Dir  string
	Free int
}

var gated = pool.Register("slurm.gated", func(ctx context.Context, in gatedIn) (int, error) {
	ticket := 0
	for ; ; ticket++ {
		f, err := os.OpenFile(filepath.Join(in.Dir, fmt.Sprintf("ticket.%d", ticket)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
		if err == nil {
			f.Close()
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return 0, err
		}
	}
	for ticket >= in.Free {
		if _, err := os.Stat(filepath.Join(in.Dir, "gate")); err == nil {
			break
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	select {
	case <-time.After(100 * time.Millisecond):
		return in.X * 10, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
})

func TestNodeFailureMidMap(t *testing.T) {
	s := cluster(t)
	p, b := open(t, slurmURL(t, 2, ""))
	waitWorkers(t, b, 2)
	first := b.JobIDs()[0]
	var calls atomic.Int64
	p = p.With(pool.WithCallHook(func(pool.CallStats) { calls.Add(1) }))
	// Calls after the first ten to start wait for the node to have gone
	// down, so that the failure is mid-Map however slow the machine is.
	dir := t.TempDir()
	ins := make([]gatedIn, 60)
	for i := range ins {
		ins[i] = gatedIn{X: i, Dir: dir, Free: 10}
	}
	// The node's goroutine ends before the test does (and before the
	// cluster stops): it reports through t.
	stop := make(chan struct{})
	resumed := make(chan struct{})
	t.Cleanup(func() { close(stop); <-resumed })
	go func() {
		defer close(resumed)
		for calls.Load() < 10 {
			select {
			case <-time.After(10 * time.Millisecond):
			case <-stop:
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		// The node goes down under the job (as slurmctld marks a node that
		// stops answering), and comes back a little later.
		if out, err := s.Command(ctx, "scontrol", "update", "nodename="+s.Node, "state=down", "reason=burst-test").CombinedOutput(); err != nil {
			t.Errorf("scontrol update state=down: %v: %s", err, out)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "gate"), nil, 0o666); err != nil {
			t.Error(err)
			return
		}
		time.Sleep(2 * time.Second)
		// Resuming is refused while the node still completes the killed
		// job's steps, and is not needed (refused too) once slurmd
		// registered again and the node returned to service by itself
		// (ReturnToService=2), which it may do before or after the first
		// try.
		for ctx.Err() == nil {
			out, err := s.Command(ctx, "scontrol", "show", "node", s.Node, "-o").Output()
			if err == nil && !strings.Contains(string(out), "State=DOWN") {
				return
			}
			s.Command(ctx, "scontrol", "update", "nodename="+s.Node, "state=resume").Run()
			time.Sleep(500 * time.Millisecond)
		}
		t.Errorf("node %s still down after 3 minutes", s.Node)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := gated.Map(ctx, p, ins)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != 10*i {
			t.Fatalf("out[%d] = %d, want %d", i, v, 10*i)
		}
	}
	<-resumed
	if st := p.Stats(); st.Calls != 60 {
		t.Errorf("Stats.Calls = %d, want 60 (each call once)", st.Calls)
	}
	if st := s.Run("scontrol", "show", "job", first, "-o"); !strings.Contains(st, "JobState=NODE_FAIL") {
		t.Errorf("first job after its node went down: %s; want JobState=NODE_FAIL", st)
	}
}
