package driver

import (
	"fmt"
	"os"
	"strconv"
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

// WithGOMAXPROCS returns env, a worker's environment, with GOMAXPROCS=n
// added unless env sets GOMAXPROCS already (the user's choice wins), for
// backends that launch workers sharing a machine's CPUs (process, slurm).
func WithGOMAXPROCS(env []string, n int) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			return env
		}
	}
	return append(env, "GOMAXPROCS="+strconv.Itoa(n))
}
