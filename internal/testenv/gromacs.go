package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// ModuleRoot returns the directory holding go.mod, found by walking up from
// the working directory (a test's working directory is its package dir).
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// WWDataDir returns the folder with the WW domain inputs of the study
// (ww_exteq_nowater1.pdb, .psf, par_all27_prot_lipid.inp): ../shared/data/ww
// beside the repository. They may not be committed, so when the folder is
// absent the test is skipped, except under CI, where it fails.
func WWDataDir(tb testing.TB) string {
	tb.Helper()
	// BURST_WW_DATA points elsewhere, e.g. from a git worktree that does
	// not sit beside ../shared.
	dir := os.Getenv("BURST_WW_DATA")
	if dir == "" {
		dir = filepath.Join(filepath.Dir(ModuleRoot(tb)), "shared", "data", "ww")
	}
	for _, f := range []string{"ww_exteq_nowater1.pdb", "ww_exteq_nowater1.psf", "par_all27_prot_lipid.inp"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			msg := "testenv: the WW domain inputs are not here (" + err.Error() + "); they live in ../shared/data/ww beside the repository"
			if os.Getenv("CI") != "" {
				tb.Fatal(msg)
			}
			tb.Skip("skipping: " + msg)
		}
	}
	return dir
}

// RunGmx runs a GROMACS command in dir with stdin and returns its combined
// output; the test fails with that output when the command fails.
func RunGmx(tb testing.TB, gmx, dir, stdin string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(gmx, args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewBufferString(stdin)
	cmd.Env = append(os.Environ(), "GMX_MAXBACKUP=-1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := out
		if len(tail) > 3000 {
			tail = tail[len(tail)-3000:]
		}
		tb.Fatalf("testenv: %s %v: %v\n%s", gmx, args, err, tail)
	}
	return string(out)
}

// GromacsWW builds the WW domain for GROMACS in dir: pdb2gmx with the
// charmm27 force field, no water and no CMAP (CHARMM22 has none), then a
// cubic box of edge boxNM nm with the protein centred. It returns the paths
// of the topology and the coordinates. The study's PDB needs no renaming:
// charmm27.ff knows HSD, and pdb2gmx's xlateat.dat maps HT1-3 and OT1/OT2.
func GromacsWW(tb testing.TB, gmx, dir string, boxNM float64) (top, gro string) {
	tb.Helper()
	pdb, err := os.ReadFile(filepath.Join(WWDataDir(tb), "ww_exteq_nowater1.pdb"))
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ww.pdb"), pdb, 0o644); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	RunGmx(tb, gmx, dir, "", "pdb2gmx", "-f", "ww.pdb", "-o", "ww_pdb2gmx.gro", "-p", "topol.top",
		"-ff", "charmm27", "-water", "none", "-nocmap")
	b := strconv.FormatFloat(boxNM, 'f', -1, 64)
	RunGmx(tb, gmx, dir, "", "editconf", "-f", "ww_pdb2gmx.gro", "-o", "ww.gro", "-c", "-box", b, b, b)
	return filepath.Join(dir, "topol.top"), filepath.Join(dir, "ww.gro")
}
