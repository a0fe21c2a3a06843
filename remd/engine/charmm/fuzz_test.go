package charmm

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
)

// seeds adds small excerpts of the WW domain's files (testdata) as the
// fuzzer's first inputs and, when the WW data are here (testenv.WWData; always
// under CI) and this is a plain test run, the whole files (a fuzzer mutating 130 kB inputs makes
// little progress).
func seeds(f *testing.F, excerpt, whole string) {
	f.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", excerpt))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	if fl := flag.Lookup("test.fuzz"); fl != nil && fl.Value.String() != "" {
		return
	}
	dir, err := testenv.WWData()
	if err != nil {
		if os.Getenv("CI") != "" {
			f.Fatal(err) // CI has the data: a run without them would test less, silently
		}
		return
	}
	b, err = os.ReadFile(filepath.Join(dir, filepath.Base(whole)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
}

// errAt matches an error that names the file and the line.
func errAt(name string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `:\d+: `)
}

func FuzzParsePSF(f *testing.F) {
	seeds(f, "ww-excerpt.psf", DefaultPSF)
	f.Add([]byte("PSF\n\n -1 !NATOM\n"))
	f.Add([]byte("PSF\n\n 999999999999 !NBOND\n"))
	at := errAt("x.psf")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePSF(bytes.NewReader(data), "x.psf")
		if err != nil {
			if !at.MatchString(err.Error()) {
				t.Fatalf("error %q does not name the file and line", err)
			}
			return
		}
		n := len(p.Atoms)
		for _, b := range p.Bonds {
			if b[0] < 0 || b[0] >= n || b[1] < 0 || b[1] >= n {
				t.Fatalf("bond %v outside %d atoms", b, n)
			}
		}
	})
}

func FuzzParsePDB(f *testing.F) {
	seeds(f, "ww-excerpt.pdb", DefaultPDB)
	f.Add([]byte("ATOM      1  N   LYS P   6     -12.740  67.537     NaN  1.00  0.00      WWDM N\n"))
	at := errAt("x.pdb")
	f.Fuzz(func(t *testing.T, data []byte) {
		atoms, err := ParsePDB(bytes.NewReader(data), "x.pdb")
		if err != nil {
			if !at.MatchString(err.Error()) {
				t.Fatalf("error %q does not name the file and line", err)
			}
			return
		}
		if len(atoms) == 0 {
			t.Fatal("no atoms and no error")
		}
	})
}

func FuzzParseParams(f *testing.F) {
	seeds(f, "par-excerpt.inp", DefaultPar)
	f.Add([]byte("BONDS\nC C NaN 1.0\n"))
	at := errAt("x.inp")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ParseParams(bytes.NewReader(data), "x.inp")
		if err != nil && !at.MatchString(err.Error()) {
			t.Fatalf("error %q does not name the file and line", err)
		}
	})
}
