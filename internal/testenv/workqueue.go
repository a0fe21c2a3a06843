package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// WorkQueuePython is the interpreter that has Debian's python3-workqueue.
const WorkQueuePython = "/usr/bin/python3"

// WorkQueue is Work Queue (CCTools), as examples/study's baseline runs it.
type WorkQueue struct {
	Worker string // work_queue_worker
	Python string // an interpreter that can import work_queue
}

// LookWorkQueue finds work_queue_worker and a Python with the work_queue
// module, as install.d/workqueue.sh installs them.
func LookWorkQueue() (WorkQueue, error) {
	w, err := LookTool("work_queue_worker")
	if err != nil {
		return WorkQueue{}, err
	}
	py := os.Getenv("BURST_WQ_PYTHON")
	if py == "" {
		py = WorkQueuePython
	}
	if out, err := exec.Command(py, "-c", "import work_queue").CombinedOutput(); err != nil {
		return WorkQueue{}, fmt.Errorf("testenv: %s cannot import work_queue (install python3-workqueue, see internal/testenv/install.d/workqueue.sh): %w: %s",
			py, err, out)
	}
	return WorkQueue{Worker: w, Python: py}, nil
}

// NeedWorkQueue returns Work Queue's tools, or skips the test when they are
// missing (fails under CI).
func NeedWorkQueue(tb testing.TB) WorkQueue {
	tb.Helper()
	wq, err := LookWorkQueue()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%v", err)
		}
		tb.Skipf("skipping: %v", err)
	}
	return wq
}
