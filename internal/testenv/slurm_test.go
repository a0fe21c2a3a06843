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
	id := s.Run("sbatch", "--parsable", "--output=/dev/null", "--chdir="+s.Dir, "--wrap", "sleep 3")
	s.RestartController()
	if jobs := s.Jobs(); len(jobs) != 1 || jobs[0] != id {
		t.Fatalf("after controller restart squeue lists %v, want [%s]", jobs, id)
	}
	waitGone(t, s, id)
	if st := s.Run("scontrol", "show", "job", id, "-o"); !strings.Contains(st, "JobState=COMPLETED") {
		t.Errorf("job %s after restart: %s, want JobState=COMPLETED", id, st)
	}
}

// waitGone waits until squeue no longer lists job id.
func waitGone(t *testing.T, s *testenv.Slurm, id string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if s.Run("squeue", "-h", "-j", id, "-o", "%i") == "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("job %s still in squeue after 60 s", id)
}
