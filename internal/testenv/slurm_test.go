package testenv_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
)

func TestStartSlurmRunsABatchJobWithSteps(t *testing.T) {
	s := testenv.StartSlurm(t, testenv.SlurmOptions{})
	out := filepath.Join(s.Dir, "job-%j.out")
	id := s.Run("sbatch", "--parsable", "--ntasks=2", "--output="+out, "--chdir="+s.Dir,
		"--wrap", "echo job $SLURM_JOB_ID; srun --ntasks=2 sh -c 'echo step task $SLURM_PROCID'")
	waitGone(t, s, id)
	data, err := os.ReadFile(strings.ReplaceAll(out, "%j", id))
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	for _, want := range []string{"job " + id, "step task 0", "step task 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("job output %q lacks %q", got, want)
		}
	}
}

func TestSlurmControllerRestartKeepsRunningJob(t *testing.T) {
	s := testenv.StartSlurm(t, testenv.SlurmOptions{})
	// The job runs until the test releases it, and the restart waits until
	// it runs on the node: a job allocated but not yet launched when the
	// controller stops is not a running job (and may never launch).
	started, release := filepath.Join(s.Dir, "started"), filepath.Join(s.Dir, "release")
	id := s.Run("sbatch", "--parsable", "--output=/dev/null", "--chdir="+s.Dir, "--wrap",
		"touch "+started+"; while [ ! -e "+release+" ]; do sleep 0.1; done")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not start within 2 min: %s", id, s.Run("scontrol", "show", "job", id, "-o"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.RestartController()
	if jobs := s.Jobs(); len(jobs) != 1 || jobs[0] != id {
		t.Fatalf("after controller restart squeue lists %v, want [%s]", jobs, id)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitGone(t, s, id)
	if st := s.Run("scontrol", "show", "job", id, "-o"); !strings.Contains(st, "JobState=COMPLETED") {
		t.Errorf("job %s after restart: %s, want JobState=COMPLETED", id, st)
	}
}

// waitGone waits until squeue no longer lists job id.
func waitGone(t *testing.T, s *testenv.Slurm, id string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if s.Run("squeue", "-h", "-j", id, "-o", "%i") == "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("job %s still in squeue after 3 min", id)
}
