package gromacs

import (
	"bufio"
	"bytes"
	"fmt"
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

// readG96 reads POSITION, VELOCITY (optional) and BOX blocks.
func readG96(data []byte) (atoms []atomName, x, v []float64, box string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	block := ""
	line := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		t := strings.TrimSpace(l)
		if block == "" {
			block = t
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
				return nil, nil, nil, "", fmt.Errorf("line %d: %s line needs resnr resname name index x y z", line, block)
			}
			var xyz [3]float64
			for k := 0; k < 3; k++ {
				if xyz[k], err = strconv.ParseFloat(f[4+k], 64); err != nil {
					return nil, nil, nil, "", fmt.Errorf("line %d: %w", line, err)
				}
			}
			if block == "POSITION" {
				resnr, err := strconv.Atoi(f[0])
				if err != nil {
					return nil, nil, nil, "", fmt.Errorf("line %d: residue number: %w", line, err)
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
	if len(atoms) == 0 || box == "" {
		return nil, nil, nil, "", fmt.Errorf("need POSITION and BOX blocks")
	}
	if v == nil {
		v = make([]float64, len(x))
	} else if len(v) != len(x) {
		return nil, nil, nil, "", fmt.Errorf("%d velocities for %d atoms", len(v)/3, len(x)/3)
	}
	return atoms, x, v, box, nil
}

// readGro reads a .gro file (fixed columns; velocities optional).
func readGro(data []byte) (atoms []atomName, x, v []float64, box string, err error) {
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) < 3 {
		return nil, nil, nil, "", fmt.Errorf("too short for a .gro file")
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[1]))
	if err != nil || len(lines) < n+3 {
		return nil, nil, nil, "", fmt.Errorf("line 2: atom count %q does not match the file", strings.TrimSpace(lines[1]))
	}
	hasV := false
	for i := 0; i < n; i++ {
		l := lines[2+i]
		if len(l) < 44 {
			return nil, nil, nil, "", fmt.Errorf("line %d: atom line shorter than 44 columns", i+3)
		}
		resnr, err := strconv.Atoi(strings.TrimSpace(l[0:5]))
		if err != nil {
			return nil, nil, nil, "", fmt.Errorf("line %d: residue number: %w", i+3, err)
		}
		atoms = append(atoms, atomName{resnr, strings.TrimSpace(l[5:10]), strings.TrimSpace(l[10:15])})
		for k := 0; k < 3; k++ {
			f, err := strconv.ParseFloat(strings.TrimSpace(l[20+8*k:28+8*k]), 64)
			if err != nil {
				return nil, nil, nil, "", fmt.Errorf("line %d: coordinate: %w", i+3, err)
			}
			x = append(x, f)
		}
		if len(l) >= 68 {
			hasV = true
			for k := 0; k < 3; k++ {
				f, err := strconv.ParseFloat(strings.TrimSpace(l[44+8*k:52+8*k]), 64)
				if err != nil {
					return nil, nil, nil, "", fmt.Errorf("line %d: velocity: %w", i+3, err)
				}
				v = append(v, f)
			}
		}
	}
	if !hasV {
		v = make([]float64, len(x))
	}
	bf := strings.Fields(lines[2+n])
	var bs []string
	for _, s := range bf {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, nil, nil, "", fmt.Errorf("line %d: box: %w", n+3, err)
		}
		bs = append(bs, fmt.Sprintf("%15.9f", f))
	}
	return atoms, x, v, strings.Join(bs, ""), nil
}
