package gromacs

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// writeG96 writes coordinates and velocities with nine decimals: a .gro
// would round positions to 0.01 Å and break exact continuation.
func writeG96(atoms []atomName, x, v []float64, box string) []byte {
	var b bytes.Buffer
	b.WriteString("TITLE\nburst replica state\nEND\nPOSITION\n")
	for i, a := range atoms {
		fmt.Fprintf(&b, "%5d %-5s %-5s%7d%15.9f%15.9f%15.9f\n", a.resnr, a.resname, a.name, i+1, x[3*i], x[3*i+1], x[3*i+2])
	}
	b.WriteString("END\nVELOCITY\n")
	for i, a := range atoms {
		fmt.Fprintf(&b, "%5d %-5s %-5s%7d%15.9f%15.9f%15.9f\n", a.resnr, a.resname, a.name, i+1, v[3*i], v[3*i+1], v[3*i+2])
	}
	b.WriteString("END\nBOX\n" + box + "\nEND\n")
	return b.Bytes()
}

// readG96 reads POSITION, VELOCITY (optional) and BOX blocks of the file
// called name (for errors, which name it and the line).
func readG96(data []byte, name string) (atoms []atomName, x, v []float64, box string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	block := ""
	line := 0
	fail := func(format string, a ...any) ([]atomName, []float64, []float64, string, error) {
		return nil, nil, nil, "", fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, a...))
	}
	positions := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		t := strings.TrimSpace(l)
		if block == "" {
			block = t
			if block == "POSITION" {
				if positions++; positions > 1 {
					return fail("a second POSITION block")
				}
			}
			continue
		}
		if t == "END" {
			block = ""
			continue
		}
		if strings.HasPrefix(t, "#") {
			continue
		}
		switch block {
		case "POSITION", "VELOCITY":
			f := strings.Fields(l)
			if len(f) != 7 {
				return fail("%s line needs resnr resname name index x y z, got %d fields", block, len(f))
			}
			var xyz [3]float64
			for k := 0; k < 3; k++ {
				if xyz[k], err = finite(f[4+k]); err != nil {
					return fail("%s: %v", block, err)
				}
			}
			if block == "POSITION" {
				resnr, err := strconv.Atoi(f[0])
				if err != nil {
					return fail("residue number %q is not an integer", f[0])
				}
				atoms = append(atoms, atomName{resnr, f[1], f[2]})
				x = append(x, xyz[:]...)
			} else {
				v = append(v, xyz[:]...)
			}
		case "BOX":
			box = l
		}
	}
	if err := sc.Err(); err != nil {
		return fail("%v", err)
	}
	if len(atoms) == 0 || box == "" {
		return fail("end of file: need POSITION and BOX blocks")
	}
	if v == nil {
		v = make([]float64, len(x))
	} else if len(v) != len(x) {
		return fail("end of file: %d velocities for %d atoms", len(v)/3, len(x)/3)
	}
	return atoms, x, v, box, nil
}

// finite parses a coordinate: a number that is neither NaN nor infinite.
func finite(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return f, nil
}

// readGro reads a .gro file (fixed columns; velocities optional, on every
// atom line or on none) called name (for errors).
func readGro(data []byte, name string) (atoms []atomName, x, v []float64, box string, err error) {
	fail := func(line int, format string, a ...any) ([]atomName, []float64, []float64, string, error) {
		return nil, nil, nil, "", fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, a...))
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) < 3 {
		return fail(len(lines), "too short for a .gro file (title, atom count, atoms, box)")
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[1]))
	if err != nil || n < 0 || n > len(lines)-3 {
		return fail(2, "atom count %q does not match the file's %d lines", strings.TrimSpace(lines[1]), len(lines))
	}
	hasV := false
	for i := 0; i < n; i++ {
		l := lines[2+i]
		if len(l) < 44 {
			return fail(i+3, "atom line shorter than 44 columns")
		}
		resnr, err := strconv.Atoi(strings.TrimSpace(l[0:5]))
		if err != nil {
			return fail(i+3, "residue number %q is not an integer", strings.TrimSpace(l[0:5]))
		}
		atoms = append(atoms, atomName{resnr, strings.TrimSpace(l[5:10]), strings.TrimSpace(l[10:15])})
		for k := 0; k < 3; k++ {
			f, err := finite(strings.TrimSpace(l[20+8*k : 28+8*k]))
			if err != nil {
				return fail(i+3, "coordinate: %v", err)
			}
			x = append(x, f)
		}
		if i == 0 {
			hasV = len(l) >= 68
		} else if hasV != (len(l) >= 68) {
			return fail(i+3, "velocities on some atom lines but not on others")
		}
		if hasV {
			for k := 0; k < 3; k++ {
				f, err := finite(strings.TrimSpace(l[44+8*k : 52+8*k]))
				if err != nil {
					return fail(i+3, "velocity: %v", err)
				}
				v = append(v, f)
			}
		}
	}
	if !hasV {
		v = make([]float64, len(x))
	}
	bf := strings.Fields(lines[2+n])
	if len(bf) == 0 {
		return fail(n+3, "no box vectors")
	}
	var bs []string
	for _, s := range bf {
		f, err := finite(s)
		if err != nil {
			return fail(n+3, "box: %v", err)
		}
		bs = append(bs, fmt.Sprintf("%15.9f", f))
	}
	return atoms, x, v, strings.Join(bs, ""), nil
}
