package testenv_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
)

func TestWorkQueueInstalled(t *testing.T) {
	wq := testenv.NeedWorkQueue(t)
	out, err := exec.Command(wq.Worker, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "work_queue_worker") {
		t.Fatalf("%s --version: %v\n%s", wq.Worker, err, out)
	}
}
