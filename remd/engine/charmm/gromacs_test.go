package charmm_test

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/remd/engine/charmm"
)

// kcalPerKJ converts GROMACS energies.
const kcalPerKJ = 1 / 4.184

// The single point GROMACS computes: Verlet scheme (the only one in 2022),
// a 25 nm box and 10 nm cutoffs so every pair of the ~6 nm protein is inside
// the cutoff and no periodic image is, plain cut-off LJ without the
// potential-shift modifier, and no dispersion correction.
//
// Plain cut-off Coulomb under the Verlet scheme is reaction-field with
// ε_rf = 1: k_rf = 0 and c_rf = 1/r_c, so every pair within r_c, excluded
// pairs included, and every atom's self term (½q_i²) get -f·q_i·q_j·c_rf.
// With all pairs inside r_c these add up to -f·c_rf·Q²/2 for total charge Q
// (+3 e for this WW domain): the test adds that constant to our Coulomb.
const spMDP = `integrator = md
nsteps = 0
cutoff-scheme = Verlet
pbc = xyz
nstcalcenergy = 1
nstenergy = 1
verlet-buffer-tolerance = -1
rlist = 10
coulombtype = Cut-off
rcoulomb = 10
vdwtype = Cut-off
vdw-modifier = None
rvdw = 10
DispCorr = no
constraints = none
`

const spBoxNM, spCutoffNM = 25.0, 10.0

// gromacsCoulomb is GROMACS's ONE_4PI_EPS0 (kJ·nm/(mol·e²)) in kcal·Å/(mol·e²).
const gromacsCoulomb = 138.935458 * 10 * kcalPerKJ

// TestEnergyTermsAgreeWithGROMACS compares every energy term of the WW domain,
// at the study's coordinates and without cutoffs, with GROMACS's charmm27
// port of the same force field: within 0.1 % or 0.05 kcal/mol, whichever is
// larger. GROMACS reports angles and Urey-Bradley together as U-B.
func TestEnergyTermsAgreeWithGROMACS(t *testing.T) {
	gmx := testenv.NeedTool(t, "gmx")
	sys, x := loadWW(t)
	dir := t.TempDir()
	top, gro := testenv.GromacsWW(t, gmx, dir, spBoxNM)
	_ = top

	order := gmxOrder(t, gro, sys)
	var maxR2 float64
	for i := 0; i < sys.N(); i++ {
		for j := i + 1; j < sys.N(); j++ {
			dx, dy, dz := x[3*i]-x[3*j], x[3*i+1]-x[3*j+1], x[3*i+2]-x[3*j+2]
			maxR2 = math.Max(maxR2, dx*dx+dy*dy+dz*dz)
		}
	}
	if math.Sqrt(maxR2) >= spCutoffNM*10 {
		t.Fatalf("the protein spans %.1f Å, beyond the %g nm cutoff", math.Sqrt(maxR2), spCutoffNM)
	}
	writeG96(t, filepath.Join(dir, "x.g96"), x, order, sys, spBoxNM)
	if err := os.WriteFile(filepath.Join(dir, "sp.mdp"), []byte(spMDP), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.RunGmx(t, gmx, dir, "", "grompp", "-f", "sp.mdp", "-c", "ww.gro", "-p", "topol.top", "-o", "sp.tpr")
	testenv.RunGmx(t, gmx, dir, "", "mdrun", "-s", "sp.tpr", "-rerun", "x.g96", "-deffnm", "sp", "-nt", "1")
	names := []string{"Bond", "U-B", "Proper-Dih.", "Improper-Dih.", "LJ-14", "Coulomb-14", "LJ-(SR)", "Coulomb-(SR)"}
	testenv.RunGmx(t, gmx, dir, strings.Join(names, "\n")+"\n\n", "energy", "-f", "sp.edr", "-o", "sp.xvg")
	ref := readXVG(t, filepath.Join(dir, "sp.xvg"))

	ours := charmm.NewForceField(sys, charmm.Cutoff{None: true}).Energy(x, nil)
	var q float64
	for _, c := range sys.Charge {
		q += c
	}
	rfShift := -gromacsCoulomb * q * q / 2 / (spCutoffNM * 10)
	cases := []struct {
		term      string
		ours, ref float64
	}{
		{"Bond", ours.Bond, ref["Bond"]},
		{"U-B (angle + Urey-Bradley)", ours.Angle + ours.UreyBradley, ref["U-B"]},
		{"Proper Dih.", ours.Dihedral, ref["Proper Dih."]},
		{"Improper Dih.", ours.Improper, ref["Improper Dih."]},
		{"LJ-14", ours.LJ14, ref["LJ-14"]},
		{"Coulomb-14", ours.Coul14, ref["Coulomb-14"]},
		{"LJ (SR)", ours.LJ, ref["LJ (SR)"]},
		{fmt.Sprintf("Coulomb (SR) (ours %+.3f reaction-field constant)", rfShift), ours.Coul + rfShift, ref["Coulomb (SR)"]},
	}
	for _, c := range cases {
		ref := c.ref * kcalPerKJ
		tol := math.Max(1e-3*math.Abs(ref), 0.05)
		t.Logf("%-55s ours %12.4f  GROMACS %12.4f kcal/mol  diff %+.4f (tolerance %.3f)", c.term, c.ours, ref, c.ours-ref, tol)
		if math.Abs(c.ours-ref) > tol {
			t.Errorf("%s: ours %.4f kcal/mol, GROMACS %.4f: differ by %.4f > %.4f", c.term, c.ours, ref, c.ours-ref, tol)
		}
	}
}

// gmxOrder maps GROMACS atom k to our atom order[k], by residue number and
// atom name; pdb2gmx renames the N-terminal HT1-3 to H1-3 and may reorder.
func gmxOrder(t *testing.T, gro string, sys *charmm.System) []int {
	t.Helper()
	f, err := os.Open(gro)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	index := map[string]int{}
	for i, a := range sys.Atoms {
		index[fmt.Sprintf("%d:%s", a.ResID, a.Name)] = i
	}
	rename := map[string]string{"H1": "HT1", "H2": "HT2", "H3": "HT3"}
	sc := bufio.NewScanner(f)
	sc.Scan()
	sc.Scan()
	n, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
	if err != nil || n != sys.N() {
		t.Fatalf("%s: %d atoms (%v); want %d", gro, n, err, sys.N())
	}
	order := make([]int, n)
	used := make([]bool, n)
	for k := 0; k < n && sc.Scan(); k++ {
		l := sc.Text()
		res, err := strconv.Atoi(strings.TrimSpace(l[0:5]))
		if err != nil {
			t.Fatalf("%s: bad residue number in %q", gro, l)
		}
		name := strings.TrimSpace(l[10:15])
		if r, ok := rename[name]; ok {
			name = r
		}
		i, ok := index[fmt.Sprintf("%d:%s", res, name)]
		if !ok || used[i] {
			t.Fatalf("%s: GROMACS atom %d (%d %s) has no unique partner in the PSF", gro, k+1, res, name)
		}
		used[i] = true
		order[k] = i
	}
	return order
}

// writeG96 writes our coordinates in GROMACS order as a .g96 file, whose
// nine decimals in nm keep the PDB's 0.001 Å exactly (a .gro would round to
// 0.01 Å, enough to move the bond energy by several kcal/mol). The protein
// is moved to the box centre, which changes no energy.
func writeG96(t *testing.T, path string, x []float64, order []int, sys *charmm.System, box float64) {
	t.Helper()
	var c [3]float64
	for i := 0; i < sys.N(); i++ {
		for k := 0; k < 3; k++ {
			c[k] += x[3*i+k] / float64(sys.N())
		}
	}
	var b strings.Builder
	b.WriteString("TITLE\nWW domain\nEND\nPOSITION\n")
	for k, i := range order {
		a := sys.Atoms[i]
		fmt.Fprintf(&b, "%5d %-5s %-5s%7d", a.ResID, a.ResName, a.Name, k+1)
		for d := 0; d < 3; d++ {
			fmt.Fprintf(&b, "%15.9f", (x[3*i+d]-c[d])/10+box/2)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "END\nBOX\n%15.9f%15.9f%15.9f\nEND\n", box, box, box)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readXVG returns the last data row of an xvg file by legend.
func readXVG(t *testing.T, path string) map[string]float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var legends []string
	var last []string
	for _, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "@ s") && strings.Contains(l, "legend"):
			legends = append(legends, strings.Trim(l[strings.Index(l, "legend")+len("legend"):], " \""))
		case l == "" || l[0] == '#' || l[0] == '@':
		default:
			last = strings.Fields(l)
		}
	}
	if len(last) != len(legends)+1 {
		t.Fatalf("%s: %d legends but %d columns in the last row", path, len(legends), len(last))
	}
	out := map[string]float64{}
	for k, name := range legends {
		v, err := strconv.ParseFloat(last[k+1], 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[name] = v
	}
	return out
}
