package knative_test

import (
	"os"
	"os/exec"
	"testing"
)

// reexec runs the test binary as a platform would start it, with env added.
func reexec(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}
