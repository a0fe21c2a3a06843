package charmm_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/burst-dev/burst/remd/engine/charmm"
)

const testPar = `* a test parameter file
*
BONDS
CT1  HA   300.0  1.10 ! a comment
CT1  CT1  200.0  1.53
ANGLES
HA   CT1  HA    35.5  109.0   5.40   1.802
HA   CT1  CT1   33.4  110.1
DIHEDRALS
HA   CT1  CT1  HA     0.2   3     0.0
X    CT1  CT1  X      0.5   2   180.0
CT1  CT1  CT1  HA     0.3   1     0.0
                 ! a comment line between two terms of one dihedral
CT1  CT1  CT1  HA     0.1   3   180.0
IMPROPER
HA   X    X    CT1   10.0   0     0.0
X    CT1  CT1  HA    20.0   0     0.0
X    X    CT1  HA    30.0   0     0.0
NONBONDED nbxmod  5 atom cdiel shift vatom vdistance vswitch -
cutnb 14.0 ctofnb 12.0 ctonnb 10.0 eps 1.0 e14fac 0.5 wmin 1.5
HA     0.0  -0.022   1.32
CT1    0.0  -0.020   2.275   0.0  -0.01   1.90
NBFIX
HA   CT1  -0.5   3.0
END
`

func mustParams(t *testing.T, s string) *charmm.Params {
	t.Helper()
	p, err := charmm.ParseParams(strings.NewReader(s), "test.prm")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParamsFollowCHARMMMatchingRules(t *testing.T) {
	p := mustParams(t, testPar)
	if b, ok := p.Bond("HA", "CT1"); !ok || b.K != 300 || b.R0 != 1.10 {
		t.Errorf("Bond(HA, CT1) = %+v, %v; want {300 1.1}", b, ok)
	}
	if a, ok := p.Angle("HA", "CT1", "HA"); !ok || a.KUB != 5.4 || a.S0 != 1.802 {
		t.Errorf("Angle(HA CT1 HA) = %+v, %v; want Urey-Bradley 5.4 1.802", a, ok)
	}
	if a, ok := p.Angle("CT1", "CT1", "HA"); !ok || a.KUB != 0 || math.Abs(a.Theta0-110.1*math.Pi/180) > 1e-15 {
		t.Errorf("Angle(CT1 CT1 HA) (reversed) = %+v, %v", a, ok)
	}
	dihedrals := []struct {
		types [4]string
		want  []float64 // K of each term
	}{
		{[4]string{"HA", "CT1", "CT1", "HA"}, []float64{0.2}},       // exact beats the wildcard
		{[4]string{"HA", "CT1", "CT1", "CT1"}, []float64{0.3, 0.1}}, // reversed, two terms across a comment line
		{[4]string{"CT1", "CT1", "CT1", "CT1"}, []float64{0.5}},     // X-CT1-CT1-X
	}
	for _, c := range dihedrals {
		terms, ok := p.Dihedral(c.types[0], c.types[1], c.types[2], c.types[3])
		var got []float64
		for _, term := range terms {
			got = append(got, term.K)
		}
		if !ok || len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) || (len(got) > 1 && got[1] != c.want[1]) {
			t.Errorf("Dihedral(%v) = %v, %v; want K %v", c.types, got, ok, c.want)
		}
	}
	impropers := []struct {
		types [4]string
		want  float64
	}{
		{[4]string{"CT1", "CT1", "CT1", "HA"}, 10}, // reversed A-X-X-D comes before X-B-C-D
		{[4]string{"NX", "CT1", "CT1", "HA"}, 20},  // X-B-C-D
		{[4]string{"NX", "HA", "CT1", "HA"}, 30},   // X-X-C-D
	}
	for _, c := range impropers {
		got, ok := p.Improper(c.types[0], c.types[1], c.types[2], c.types[3])
		if !ok || got.K != c.want {
			t.Errorf("Improper(%v) = %v, %v; want K %v", c.types, got.K, ok, c.want)
		}
	}
	if _, ok := p.Improper("CT1", "HA", "HA", "CT1"); ok {
		t.Errorf("Improper(CT1 HA HA CT1) matched; want no match")
	}
	if p.E14Fac != 0.5 {
		t.Errorf("E14Fac = %v, want 0.5 from the continued NONBONDED header", p.E14Fac)
	}
	lj, _ := p.PairLJ("CT1", "CT1")
	if lj.Eps != 0.02 || lj.Rmin != 4.55 || lj.Eps14 != 0.01 || lj.Rmin14 != 3.8 {
		t.Errorf("PairLJ(CT1, CT1) = %+v; want normal 0.02/4.55, 1-4 0.01/3.8", lj)
	}
	if fix, _ := p.PairLJ("CT1", "HA"); fix.Eps != 0.5 || fix.Rmin != 3 {
		t.Errorf("PairLJ(CT1, HA) = %+v; want NBFIX 0.5/3", fix)
	}
}

func TestMalformedParameterLinesNameFileAndLine(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"short bond", "BONDS\nCT1 HA 300\n", "test.prm:2:"},
		{"bad number", "BONDS\nCT1 HA 300 x1.1\n", `test.prm:2: BONDS: b0 "x1.1"`},
		{"angle fields", "ANGLES\nHA CT1 HA 35 109 5\n", "test.prm:2: ANGLES line needs"},
		{"multiplicity", "DIHEDRALS\nX CT1 CT1 X 0.5 two 180\n", "multiplicity"},
		{"nonbonded", "NONBONDED\nHA 0.0 -0.02\n", "test.prm:2: NONBONDED line needs"},
		{"before section", "CT1 HA 300 1.1\n", "before any section"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := charmm.ParseParams(strings.NewReader(c.text), "test.prm")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v; want it to contain %q", err, c.want)
			}
		})
	}
}

const testPSF = `PSF

       1 !NTITLE
 REMARKS tiny

       4 !NATOM
       1 A    1    ALA  HA1  HA     0.100000        1.0080           0
       2 A    1    ALA  CA   CT1   -0.100000       12.0110           0
       3 A    1    ALA  CB   CT1    0.000000       12.0110           0
       4 A    1    ALA  NX   NX     0.000000       14.0070           0

       3 !NBOND: bonds
       1       2       2       3       3       4

       2 !NTHETA: angles
       1       2       3       2       3       4

       1 !NPHI: dihedrals
       1       2       3       4

       0 !NIMPHI: impropers

`

func TestMissingParameterNamesTypesAndTerm(t *testing.T) {
	psf, err := charmm.ParsePSF(strings.NewReader(testPSF), "tiny.psf")
	if err != nil {
		t.Fatal(err)
	}
	_, err = charmm.NewSystem(psf, mustParams(t, testPar))
	var miss *charmm.MissingParamError
	if !errors.As(err, &miss) {
		t.Fatalf("NewSystem error = %v; want a *MissingParamError", err)
	}
	if miss.Section != "BONDS" || strings.Join(miss.Types, " ") != "CT1 NX" || !strings.Contains(miss.Where, "PSF bond 3") {
		t.Errorf("got %v; want BONDS for CT1 NX at PSF bond 3", miss)
	}
}

func TestMalformedPSFNamesFileAndLine(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"not a psf", "HELLO\n", "tiny.psf:1: not a PSF"},
		{"bad atom", "PSF\n\n 1 !NATOM\n 1 A 1 ALA CA CT1 x 12.0 0\n", "tiny.psf:4: malformed atom line"},
		{"index range", "PSF\n\n 1 !NATOM\n 1 A 1 ALA CA CT1 0 12.0 0\n 1 !NBOND\n 1 2\n", "tiny.psf:6: !NBOND: atom index 2 outside 1..1"},
		{"truncated", "PSF\n\n 2 !NATOM\n 1 A 1 ALA CA CT1 0 12.0 0\n", "ends after 1 of 2 atoms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := charmm.ParsePSF(strings.NewReader(c.text), "tiny.psf")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v; want it to contain %q", err, c.want)
			}
		})
	}
}
