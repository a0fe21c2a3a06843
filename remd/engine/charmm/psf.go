package charmm

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Atom is one atom of a PSF.
type Atom struct {
	Segment string
	ResID   int
	ResName string
	Name    string
	Type    string
	Charge  float64 // e
	Mass    float64 // amu
}

// PSF is the part of an X-PLOR/CHARMM protein structure file an MD engine
// needs: atoms and the covalent terms. Indices are 0-based.
type PSF struct {
	Atoms     []Atom
	Bonds     [][2]int
	Angles    [][3]int
	Dihedrals [][4]int
	Impropers [][4]int
}

// ParsePSF reads an X-PLOR or CHARMM PSF. name is used in error messages.
// Sections are found by their "!N…" headers, so their order does not matter
// and sections an engine has no use for (donors, acceptors, groups, cross
// terms) are skipped.
func ParsePSF(r io.Reader, name string) (*PSF, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return sc.Text(), true
	}
	first, ok := next()
	if !ok || !strings.HasPrefix(strings.TrimSpace(first), "PSF") {
		return nil, fmt.Errorf("%s:1: not a PSF file (first line must start with PSF)", name)
	}
	p := &PSF{}
	seen := map[string]bool{}
	for {
		l, ok := next()
		if !ok {
			break
		}
		bang := strings.Index(l, "!")
		if bang < 0 {
			continue
		}
		head := strings.Fields(l[:bang])
		if len(head) == 0 {
			continue
		}
		n, err := strconv.Atoi(head[0])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s:%d: section count %q is not a non-negative integer", name, line, head[0])
		}
		tag := strings.TrimRight(strings.Fields(l[bang:] + " ")[0], ":")
		seen[tag] = true
		switch tag {
		case "!NTITLE":
			for i := 0; i < n; i++ {
				if _, ok := next(); !ok {
					return nil, fmt.Errorf("%s:%d: file ends inside the title", name, line)
				}
			}
		case "!NATOM":
			// The count is the file's claim: grow with what is there.
			p.Atoms = make([]Atom, 0, min(n, 1<<16))
			for i := 0; i < n; i++ {
				l, ok := next()
				if !ok {
					return nil, fmt.Errorf("%s:%d: file ends after %d of %d atoms", name, line, i, n)
				}
				f := strings.Fields(l)
				if len(f) < 8 {
					return nil, fmt.Errorf("%s:%d: atom line needs at least 8 fields (index segment resid resname name type charge mass), got %d", name, line, len(f))
				}
				idx, err1 := strconv.Atoi(f[0])
				resid, err2 := strconv.Atoi(strings.TrimRightFunc(f[2], func(r rune) bool { return r < '0' || r > '9' }))
				q, err3 := finite(f[6])
				m, err4 := finite(f[7])
				if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
					return nil, fmt.Errorf("%s:%d: malformed atom line %q", name, line, strings.TrimSpace(l))
				}
				if idx != i+1 {
					return nil, fmt.Errorf("%s:%d: atom index %d out of sequence (want %d)", name, line, idx, i+1)
				}
				p.Atoms = append(p.Atoms, Atom{Segment: f[1], ResID: resid, ResName: f[3], Name: f[4], Type: f[5], Charge: q, Mass: m})
			}
		case "!NBOND", "!NTHETA", "!NPHI", "!NIMPHI":
			width := map[string]int{"!NBOND": 2, "!NTHETA": 3, "!NPHI": 4, "!NIMPHI": 4}[tag]
			if n > 1<<40 {
				return nil, fmt.Errorf("%s:%d: %s count %d is beyond any file", name, line, tag, n)
			}
			idx := make([]int, 0, min(n*width, 1<<16))
			for len(idx) < n*width {
				l, ok := next()
				if !ok {
					return nil, fmt.Errorf("%s:%d: file ends inside %s (%d of %d indices)", name, line, tag, len(idx), n*width)
				}
				for _, s := range strings.Fields(l) {
					v, err := strconv.Atoi(s)
					if err != nil {
						return nil, fmt.Errorf("%s:%d: %s: %q is not an atom index", name, line, tag, s)
					}
					if v < 1 || v > len(p.Atoms) {
						return nil, fmt.Errorf("%s:%d: %s: atom index %d outside 1..%d", name, line, tag, v, len(p.Atoms))
					}
					idx = append(idx, v-1)
				}
			}
			if len(idx) != n*width {
				return nil, fmt.Errorf("%s:%d: %s: %d indices, want %d", name, line, tag, len(idx), n*width)
			}
			for k := 0; k < n; k++ {
				t := idx[k*width : (k+1)*width]
				switch tag {
				case "!NBOND":
					p.Bonds = append(p.Bonds, [2]int{t[0], t[1]})
				case "!NTHETA":
					p.Angles = append(p.Angles, [3]int{t[0], t[1], t[2]})
				case "!NPHI":
					p.Dihedrals = append(p.Dihedrals, [4]int{t[0], t[1], t[2], t[3]})
				case "!NIMPHI":
					p.Impropers = append(p.Impropers, [4]int{t[0], t[1], t[2], t[3]})
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line, err)
	}
	if !seen["!NATOM"] {
		return nil, fmt.Errorf("%s:%d: end of file, and no !NATOM section", name, line)
	}
	return p, nil
}

// finite parses a number that is neither NaN nor infinite: such a charge,
// mass, coordinate or parameter would only turn every energy into NaN.
func finite(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}
