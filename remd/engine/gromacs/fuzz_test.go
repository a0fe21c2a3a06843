package gromacs

import (
	"regexp"
	"testing"
)

// The seeds are small excerpts of the WW domain as GROMACS writes it (the
// whole system is built by testenv.GromacsWW in the engine's tests), and
// what writeG96 writes.
var (
	seedGro = "WW domain\n    3\n    1LYS      N    1   2.155   0.846   1.467 -0.1234  0.2345  0.0001\n    1LYS     H1    2   2.187   0.756   1.436  0.1000 -0.2000  0.3000\n    1LYS     H2    3   2.063   0.853   1.507  0.0000  0.0000  0.0000\n   5.00000   5.00000   5.00000\n"
	seedG96 = string(writeG96([]atomName{{1, "LYS", "N"}, {1, "LYS", "H1"}}, []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, []float64{1, 2, 3, 4, 5, 6}, "    5.000000000    5.000000000    5.000000000"))
)

// errAt is an error that names the file and the line.
var errAt = regexp.MustCompile(`^conf\.(gro|g96):\d+: `)

func checkRead(t *testing.T, atoms []atomName, x, v []float64, err error) {
	t.Helper()
	if err != nil {
		if !errAt.MatchString(err.Error()) {
			t.Fatalf("error %q does not name the file and line", err)
		}
		return
	}
	if len(x) != 3*len(atoms) || len(v) != len(x) {
		t.Fatalf("%d atoms, %d coordinates, %d velocities", len(atoms), len(x), len(v))
	}
}

func FuzzReadGro(f *testing.F) {
	f.Add([]byte(seedGro))
	f.Add([]byte("t\n-3\n"))
	f.Add([]byte("t\n1\n    1LYS      N    1   2.155   0.846   1.467\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		atoms, x, v, _, err := readGro(data, "conf.gro")
		checkRead(t, atoms, x, v, err)
	})
}

func FuzzReadG96(f *testing.F) {
	f.Add([]byte(seedG96))
	f.Add([]byte("POSITION\n    1 LYS   N          1    0.1 0.2 NaN\nEND\nBOX\n 1 1 1\nEND\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		atoms, x, v, _, err := readG96(data, "conf.g96")
		checkRead(t, atoms, x, v, err)
		if err == nil {
			// What it read, written and read again, is the same.
			a2, x2, v2, _, err := readG96(writeG96(atoms, x, v, "1 1 1"), "conf.g96")
			if err != nil || len(a2) != len(atoms) || len(x2) != len(x) || len(v2) != len(v) {
				t.Fatalf("re-reading what was read: %v", err)
			}
		}
	})
}
