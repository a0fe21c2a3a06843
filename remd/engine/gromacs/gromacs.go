// Package gromacs is an engine that runs each replica segment through
// GROMACS: gmx grompp, gmx mdrun, then gmx energy for the potential, carrying
// coordinates and velocities between segments in full precision (.g96). Users
// with systems larger than the pure-Go engines handle keep the MD engine they
// already trust and still get burst's replica exchange and backends.
//
// The gmx binary must be on PATH (or named by the "gmx" option) wherever
// segments run, inside a cloud function too: such functions need an image
// or layer that carries GROMACS.
//
// Inputs are a topology, starting coordinates (.gro, .g96 or anything grompp
// reads that has the box), and an .mdp template for text/template with the
// fields {{.Steps}}, {{.Temperature}}, {{.Seed}}, {{.GenVel}} ("yes" for the
// initial state only) and {{.Continuation}} ("yes" for every segment).
// DefaultMDP is a Langevin (sd) template in the study's spirit.
//
// Units are GROMACS's: nm, nm/ps, kJ/mol, k_B = 0.0083144626 kJ/(mol·K).
// Segments are reproducible on one machine with one thread; GROMACS does not
// promise the same bits on different CPUs.
//
//	import _ "github.com/burst-dev/burst/remd/engine/gromacs"
//	e, err := engine.New(engine.Spec{Name: "gromacs", Options: json.RawMessage(`{"top":"topol.top","conf":"conf.gro"}`)})
package gromacs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	"github.com/burst-dev/burst/remd/engine"
)

// Boltzmann is GROMACS's k_B in kJ/(mol·K).
const Boltzmann = 0.0083144626

// DefaultMDP: stochastic dynamics (Langevin, tau-t 0.2 ps = γ 5/ps) at 2 fs
// with bonds to hydrogen constrained, vacuum-like electrostatics in a large
// periodic box (plain cut-off, LJ switched from 1.0 to 1.2 nm).
const DefaultMDP = `integrator    = sd
dt            = 0.002
nsteps        = {{.Steps}}
ld-seed       = {{.Seed}}
tc-grps       = System
tau-t         = 0.2
ref-t         = {{.Temperature}}
gen-vel       = {{.GenVel}}
gen-temp      = {{.Temperature}}
gen-seed      = {{.Seed}}
continuation  = {{.Continuation}}
constraints   = h-bonds
cutoff-scheme = Verlet
pbc           = xyz
coulombtype   = Cut-off
rcoulomb      = 1.2
vdwtype       = Cut-off
vdw-modifier  = Potential-switch
rvdw-switch   = 1.0
rvdw          = 1.2
DispCorr      = no
comm-mode     = Linear
nstcalcenergy = 100
nstenergy     = 100
nstlog        = 0
nstxout       = 0
nstvout       = 0
`

// Options configure the "gromacs" engine.
type Options struct {
	Gmx     string `json:"gmx,omitempty"`     // executable, default "gmx" on PATH
	Top     string `json:"top"`               // topology
	Conf    string `json:"conf"`              // starting coordinates with box
	MDP     string `json:"mdp,omitempty"`     // template file; default DefaultMDP
	Threads int    `json:"threads,omitempty"` // mdrun -nt, default 1
	MaxWarn int    `json:"maxwarn,omitempty"` // grompp -maxwarn
	WorkDir string `json:"workdir,omitempty"` // scratch parent, default os.TempDir()
}

// Engine runs segments with GROMACS. It keeps no state between calls, so it
// is safe for concurrent use.
type Engine struct {
	gmx, top, workDir string
	threads, maxWarn  int
	mdp               *template.Template
	atoms             []atomName
	x0, v0            []float64
	box               string
}

type atomName struct {
	resnr         int
	resname, name string
}

var _ engine.Engine = (*Engine)(nil)

func init() {
	engine.Register("gromacs", func(raw json.RawMessage) (engine.Engine, error) {
		var o Options
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&o); err != nil {
			return nil, fmt.Errorf("gromacs options: %w (accepted: gmx top conf mdp threads maxwarn workdir)", err)
		}
		return New(o)
	})
}

// New checks the options and reads the starting coordinates.
func New(o Options) (*Engine, error) {
	if o.Top == "" || o.Conf == "" {
		return nil, errors.New("gromacs: options top (topology) and conf (coordinates) are required")
	}
	e := &Engine{threads: max(o.Threads, 1), maxWarn: o.MaxWarn, workDir: o.WorkDir}
	gmx := o.Gmx
	if gmx == "" {
		gmx = "gmx"
	}
	p, err := exec.LookPath(gmx)
	if err != nil {
		return nil, fmt.Errorf("gromacs: %w (the gromacs engine needs GROMACS's gmx on PATH or in option gmx)", err)
	}
	e.gmx = p
	if e.top, err = filepath.Abs(o.Top); err != nil {
		return nil, err
	}
	if _, err := os.Stat(e.top); err != nil {
		return nil, fmt.Errorf("gromacs: topology: %w", err)
	}
	text := DefaultMDP
	if o.MDP != "" {
		b, err := os.ReadFile(o.MDP)
		if err != nil {
			return nil, fmt.Errorf("gromacs: mdp template: %w", err)
		}
		text = string(b)
	}
	for _, f := range []string{".Steps", ".Temperature", ".Seed", ".GenVel", ".Continuation"} {
		if !strings.Contains(text, f) {
			return nil, fmt.Errorf("gromacs: mdp template does not use {{%s}}; it needs .Steps .Temperature .Seed .GenVel .Continuation", f)
		}
	}
	if e.mdp, err = template.New("mdp").Option("missingkey=error").Parse(text); err != nil {
		return nil, fmt.Errorf("gromacs: mdp template: %w", err)
	}
	conf, err := os.ReadFile(o.Conf)
	if err != nil {
		return nil, fmt.Errorf("gromacs: %w", err)
	}
	if strings.HasSuffix(o.Conf, ".g96") {
		e.atoms, e.x0, e.v0, e.box, err = readG96(conf, o.Conf)
	} else {
		e.atoms, e.x0, e.v0, e.box, err = readGro(conf, o.Conf)
	}
	if err != nil {
		return nil, fmt.Errorf("gromacs: %w", err)
	}
	return e, nil
}

// Dim is 3 × atoms.
func (e *Engine) Dim() int { return 3 * len(e.atoms) }

// Boltzmann is k_B in kJ/(mol·K).
func (e *Engine) Boltzmann() float64 { return Boltzmann }

type mdpFields struct {
	Steps                int
	Temperature          float64
	Seed                 int64
	GenVel, Continuation string
}

type mode int

const (
	segment mode = iota
	rerun        // potential of the given coordinates
	initial      // velocities drawn by grompp (gen-vel); no dynamics
)

// Initial returns the starting coordinates with velocities that grompp draws
// at t (gen-vel = yes, seeded from rng). GROMACS writes no final frame for a
// zero-step mdrun, so the state is read back from the run input file; the
// constraints act from the first segment on.
func (e *Engine) Initial(rng *rand.Rand, t float64) (engine.State, error) {
	if t <= 0 {
		return engine.State{}, fmt.Errorf("gromacs: temperature %v K: need > 0", t)
	}
	st := engine.State{X: append([]float64(nil), e.x0...), V: make([]float64, len(e.x0))}
	_, err := e.run(context.Background(), &st, mdpFields{Steps: 0, Temperature: t, Seed: rng.Int64N(1 << 31), GenVel: "yes", Continuation: "no"}, initial)
	return st, err
}

// Segment runs steps MD steps at temperature t from st and returns the
// potential energy (kJ/mol) of the final frame.
func (e *Engine) Segment(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand) (float64, error) {
	if len(st.X) != e.Dim() || len(st.V) != e.Dim() {
		return 0, fmt.Errorf("gromacs: state has %d coordinates and %d velocities, want %d each", len(st.X), len(st.V), e.Dim())
	}
	if steps < 0 || t <= 0 {
		return 0, fmt.Errorf("gromacs: %d steps at %v K: need steps ≥ 0 and t > 0", steps, t)
	}
	return e.run(ctx, st, mdpFields{Steps: steps, Temperature: t, Seed: rng.Int64N(1 << 31), GenVel: "no", Continuation: "yes"}, segment)
}

// Potential is U(x) in kJ/mol, by mdrun -rerun. GROMACS failures give NaN
// (and are logged), since the Engine contract has no error here.
func (e *Engine) Potential(x []float64) float64 {
	st := engine.State{X: append([]float64(nil), x...), V: make([]float64, len(x))}
	u, err := e.run(context.Background(), &st, mdpFields{Steps: 0, Temperature: 300, Seed: 1, GenVel: "no", Continuation: "yes"}, rerun)
	if err != nil {
		slog.Error("gromacs: potential", "err", err)
		return math.NaN()
	}
	return u
}

// run does one grompp + mdrun + energy in a scratch directory and, on
// success only, stores the final coordinates and velocities in st.
func (e *Engine) run(ctx context.Context, st *engine.State, f mdpFields, m mode) (float64, error) {
	dir, err := os.MkdirTemp(e.workDir, "burst-gmx-*")
	if err != nil {
		return 0, fmt.Errorf("gromacs: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "in.g96"), writeG96(e.atoms, st.X, st.V, e.box), 0o644); err != nil {
		return 0, fmt.Errorf("gromacs: %w", err)
	}
	var mdp bytes.Buffer
	if err := e.mdp.Execute(&mdp, f); err != nil {
		return 0, fmt.Errorf("gromacs: mdp template: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seg.mdp"), mdp.Bytes(), 0o644); err != nil {
		return 0, fmt.Errorf("gromacs: %w", err)
	}
	if _, err := e.gmxCmd(ctx, dir, "", "grompp", "-f", "seg.mdp", "-c", "in.g96", "-p", e.top,
		"-o", "seg.tpr", "-po", "mdout.mdp", "-maxwarn", strconv.Itoa(e.maxWarn)); err != nil {
		return 0, err
	}
	var u float64
	if m == initial {
		if _, err := e.gmxCmd(ctx, dir, "", "editconf", "-f", "seg.tpr", "-o", "out.g96"); err != nil {
			return 0, err
		}
	} else {
		args := []string{"mdrun", "-s", "seg.tpr", "-deffnm", "seg", "-nt", strconv.Itoa(e.threads), "-c", "out.g96"}
		if m == rerun {
			args = append(args, "-rerun", "in.g96")
		}
		if _, err := e.gmxCmd(ctx, dir, "", args...); err != nil {
			return 0, err
		}
		if _, err := e.gmxCmd(ctx, dir, "Potential\n\n", "energy", "-f", "seg.edr", "-o", "pot.xvg"); err != nil {
			return 0, err
		}
		if u, err = lastValue(filepath.Join(dir, "pot.xvg")); err != nil {
			return 0, fmt.Errorf("gromacs: %w", err)
		}
		if m == rerun {
			return u, nil
		}
	}
	out, err := os.ReadFile(filepath.Join(dir, "out.g96"))
	if err != nil {
		return 0, fmt.Errorf("gromacs: mdrun wrote no final frame: %w", err)
	}
	_, x, v, _, err := readG96(out, filepath.Join(dir, "out.g96"))
	if err != nil {
		return 0, fmt.Errorf("gromacs: %w", err)
	}
	if len(x) != len(st.X) || len(v) != len(st.V) {
		return 0, fmt.Errorf("gromacs: mdrun returned %d coordinates and %d velocities, want %d", len(x), len(v), len(st.X))
	}
	copy(st.X, x)
	copy(st.V, v)
	return u, nil
}

func (e *Engine) gmxCmd(ctx context.Context, dir, stdin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, e.gmx, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GMX_MAXBACKUP=-1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		return out, fmt.Errorf("gromacs: gmx %s: %w\n%s", args[0], err, errorTail(out))
	}
	return out, nil
}

// errorTail keeps GROMACS's error box, which sits at the end of its output.
func errorTail(out []byte) string {
	s := string(out)
	if i := strings.LastIndex(s, "-------------------------------------------------------\nProgram:"); i >= 0 {
		return s[i:]
	}
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

func lastValue(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var last []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' || l[0] == '@' {
			continue
		}
		last = strings.Fields(l)
	}
	if len(last) < 2 {
		return 0, fmt.Errorf("%s: no energy frame", path)
	}
	return strconv.ParseFloat(last[1], 64)
}
