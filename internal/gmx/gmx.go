// Package gmx runs GROMACS for the tests and programs that measure the
// charmm engine against it, and prepares the study's WW domain for GROMACS
// the one way they all compare against.
package gmx

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
)

// Run runs the GROMACS executable gmx with args in dir, stdin fed to it and
// numbered backups of overwritten files off (GMX_MAXBACKUP=-1), and returns
// its combined output. A failure's error carries the output's last 3000
// bytes, where GROMACS puts its error box.
func Run(ctx context.Context, gmx, dir, stdin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, gmx, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GMX_MAXBACKUP=-1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %v: %w\n%s", gmx, args, err, Tail(out))
	}
	return out, nil
}

// Tail is the last 3000 bytes of a command's output.
func Tail(out []byte) string {
	if len(out) > 3000 {
		out = out[len(out)-3000:]
	}
	return string(out)
}

// WW builds the WW domain for GROMACS in dir from the study's PDB file:
// pdb2gmx with the charmm27 force field, no water and no CMAP (CHARMM22 has
// none), then a cubic box of edge boxNM nm with the protein centred. It
// returns the paths of the topology and the coordinates, dir/topol.top and
// dir/ww.gro. The study's PDB needs no renaming: charmm27.ff knows HSD, and
// pdb2gmx's xlateat.dat maps HT1-3 and OT1/OT2.
func WW(ctx context.Context, gmx, pdb, dir string, boxNM float64) (top, gro string, err error) {
	if pdb, err = filepath.Abs(pdb); err != nil {
		return "", "", err
	}
	if _, err := Run(ctx, gmx, dir, "", "pdb2gmx", "-f", pdb, "-o", "ww_pdb2gmx.gro", "-p", "topol.top",
		"-ff", "charmm27", "-water", "none", "-nocmap"); err != nil {
		return "", "", err
	}
	b := strconv.FormatFloat(boxNM, 'f', -1, 64)
	if _, err := Run(ctx, gmx, dir, "", "editconf", "-f", "ww_pdb2gmx.gro", "-o", "ww.gro", "-c", "-box", b, b, b); err != nil {
		return "", "", err
	}
	return filepath.Join(dir, "topol.top"), filepath.Join(dir, "ww.gro"), nil
}

// MDP renders an .mdp template of the gromacs engine (gromacs.DefaultMDP)
// for a run of steps steps from velocities drawn at temperature t with seed.
func MDP(text string, steps int, t float64, seed int) (string, error) {
	tm, err := template.New("mdp").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = tm.Execute(&b, map[string]any{"Steps": steps, "Temperature": t, "Seed": seed, "GenVel": "yes", "Continuation": "no"})
	return b.String(), err
}
