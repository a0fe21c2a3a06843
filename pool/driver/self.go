package driver

import (
	"fmt"
	"os"
	"strings"
)

// SelfCommand is the command line that starts this binary as a worker, for
// backends that launch workers themselves (process, slurm).
func SelfCommand() ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	if strings.HasSuffix(exe, ".test") {
		// A test binary whose TestMain forgot pool.Main must not run the
		// tests again in every worker.
		return []string{exe, "-test.run=^$", "-test.bench=^$", "-test.fuzz=^$"}, nil
	}
	return []string{exe}, nil
}
