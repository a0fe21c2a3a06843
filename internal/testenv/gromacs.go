package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/burst-dev/burst/internal/gmx"
)

// ModuleRoot returns the directory holding go.mod, found by walking up from
// the working directory (a test's working directory is its package dir).
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := moduleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testenv: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// WWData returns the folder with the WW domain inputs of the study
// (ww_exteq_nowater1.pdb, .psf, par_all27_prot_lipid.inp): $BURST_WW_DATA
// when set, else ../shared/data/ww beside the module root. The error says
// which file is missing and how to point the tests at the data.
func WWData() (string, error) {
	dir, set := os.Getenv("BURST_WW_DATA"), true
	if dir == "" {
		set = false
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(filepath.Dir(root), "shared", "data", "ww")
	}
	for _, f := range []string{"ww_exteq_nowater1.pdb", "ww_exteq_nowater1.psf", "par_all27_prot_lipid.inp"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			if set {
				return "", fmt.Errorf("testenv: the WW domain inputs are not in $BURST_WW_DATA: %w", err)
			}
			return "", fmt.Errorf("testenv: the WW domain inputs are not beside the repository (%w); "+
				"put them in ../shared/data/ww or set BURST_WW_DATA to their folder", err)
		}
	}
	return dir, nil
}

// WWDataDir returns WWData's folder. The data may not be committed, so
// when they are absent the test is skipped, except under CI (CI=true),
// where it fails, and when $BURST_WW_DATA is set but wrong.
func WWDataDir(tb testing.TB) string {
	tb.Helper()
	dir, err := WWData()
	if err != nil {
		if os.Getenv("CI") != "" || os.Getenv("BURST_WW_DATA") != "" {
			tb.Fatal(err)
		}
		tb.Skipf("skipping: %v", err)
	}
	return dir
}

// RunGmx runs a GROMACS command in dir with stdin and returns its combined
// output; the test fails with that output when the command fails.
func RunGmx(tb testing.TB, exe, dir, stdin string, args ...string) string {
	tb.Helper()
	out, err := gmx.Run(context.Background(), exe, dir, stdin, args...)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return string(out)
}

// GromacsWW builds the WW domain for GROMACS in dir (gmx.WW, in a cubic
// box of edge boxNM nm) and returns the paths of the topology and the
// coordinates.
func GromacsWW(tb testing.TB, exe, dir string, boxNM float64) (top, gro string) {
	tb.Helper()
	top, gro, err := gmx.WW(context.Background(), exe, filepath.Join(WWDataDir(tb), "ww_exteq_nowater1.pdb"), dir, boxNM)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return top, gro
}
