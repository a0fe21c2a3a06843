package charmm

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// PDBAtom is one ATOM or HETATM record.
type PDBAtom struct {
	Name    string
	ResName string
	ResID   int
	X, Y, Z float64 // Å
}

// ParsePDB reads the ATOM and HETATM records of a PDB file, in file order,
// up to the first END or ENDMDL. name is used in error messages.
func ParsePDB(r io.Reader, name string) ([]PDBAtom, error) {
	sc := bufio.NewScanner(r)
	var atoms []PDBAtom
	line := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		if strings.HasPrefix(l, "END") {
			break
		}
		if !strings.HasPrefix(l, "ATOM  ") && !strings.HasPrefix(l, "HETATM") {
			continue
		}
		if len(l) < 54 {
			return nil, fmt.Errorf("%s:%d: ATOM record is %d characters, need at least 54 (coordinates in columns 31-54)", name, line, len(l))
		}
		var xyz [3]float64
		for k := range xyz {
			s := strings.TrimSpace(l[30+8*k : 38+8*k])
			v, err := finite(s)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: coordinate %q in columns %d-%d is not a finite number", name, line, s, 31+8*k, 38+8*k)
			}
			xyz[k] = v
		}
		resid, err := strconv.Atoi(strings.TrimSpace(l[22:26]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: residue number %q in columns 23-26 is not an integer", name, line, l[22:26])
		}
		atoms = append(atoms, PDBAtom{
			Name:    strings.TrimSpace(l[12:16]),
			ResName: strings.TrimSpace(l[17:21]),
			ResID:   resid,
			X:       xyz[0], Y: xyz[1], Z: xyz[2],
		})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line, err)
	}
	if len(atoms) == 0 {
		return nil, fmt.Errorf("%s:%d: no ATOM or HETATM records before the end", name, line)
	}
	return atoms, nil
}

// Coordinates matches PDB atoms to the PSF one by one and returns their
// coordinates as x0,y0,z0,x1,… in Å. Atom names and residue numbers must
// agree, so a PDB written for another structure is refused.
func Coordinates(p *PSF, atoms []PDBAtom, name string) ([]float64, error) {
	if len(atoms) != len(p.Atoms) {
		return nil, fmt.Errorf("%s has %d atoms, the PSF has %d", name, len(atoms), len(p.Atoms))
	}
	x := make([]float64, 3*len(atoms))
	for i, a := range atoms {
		pa := p.Atoms[i]
		if a.Name != pa.Name || a.ResID != pa.ResID {
			return nil, fmt.Errorf("%s: atom %d is %s %d %s, the PSF has %s %d %s", name, i+1, a.ResName, a.ResID, a.Name, pa.ResName, pa.ResID, pa.Name)
		}
		x[3*i], x[3*i+1], x[3*i+2] = a.X, a.Y, a.Z
	}
	return x, nil
}
