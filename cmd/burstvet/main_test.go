package main_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoFalsePositives runs burstvet as go vet's tool over the examples and
// remd, whose registered functions are correct as they are. The reports
// expected are on the unported programs of examples/port: their closures
// write captured variables, which each port turns into the function's
// result.
func TestNoFalsePositives(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "burstvet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command("go", "vet", "-vettool="+bin, "./examples/...", "./remd/...")
	cmd.Dir = "../.."
	out, _ := cmd.CombinedOutput()
	want := map[string]bool{
		"examples/port/errgroup/main.go:58:3: errgroup.Go closure writes captured sums":                  false,
		"examples/port/dupes/original/main.go:54:3: errgroup.Go closure writes captured mu, first, dups": false,
		"examples/port/grep/original/main.go:106:3: errgroup.Go closure writes captured results":         false,
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ok := false
		for w := range want {
			if strings.Contains(line, w) {
				want[w], ok = true, true
			}
		}
		if !ok {
			t.Errorf("unexpected report: %s", line)
		}
	}
	for w, seen := range want {
		if !seen {
			t.Errorf("missing report %q in:\n%s", w, out)
		}
	}
}
