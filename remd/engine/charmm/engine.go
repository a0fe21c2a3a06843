package charmm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"

	"github.com/burst-dev/burst/remd/engine"
)

// Boltzmann is k_B in kcal/(mol·K).
const Boltzmann = 0.0019872041

// Default input paths, relative to the repository root's working directory
// layout used by the examples and tests (the data sit beside the repository).
// When $BURST_WW_DATA is set, the files are read from that folder instead
// (see DefaultPath).
const (
	DefaultPDB = "../shared/data/ww/ww_exteq_nowater1.pdb"
	DefaultPSF = "../shared/data/ww/ww_exteq_nowater1.psf"
	DefaultPar = "../shared/data/ww/par_all27_prot_lipid.inp"
)

// EnvData names the environment variable that holds the folder of the
// default inputs, for a checkout that does not sit beside ../shared.
const EnvData = "BURST_WW_DATA"

// DefaultPath returns the file a default input path (DefaultPDB, DefaultPSF
// or DefaultPar) stands for: the same name in $BURST_WW_DATA when that is
// set, else the path itself. It is resolved where the engine is made, so a
// worker reads its own environment's folder.
func DefaultPath(p string) string {
	if d := os.Getenv(EnvData); d != "" {
		return filepath.Join(d, filepath.Base(p))
	}
	return p
}

// Options configure the "ww" engine (and any CHARMM system given by files).
// They travel as JSON in engine.Spec.Options; unknown fields are an error.
type Options struct {
	PDB string `json:"pdb,omitempty"` // default DefaultPath(DefaultPDB)
	PSF string `json:"psf,omitempty"` // default DefaultPath(DefaultPSF)
	Par string `json:"par,omitempty"` // default DefaultPath(DefaultPar)
	// DT is the time step in fs: default 2 with SHAKE, 1 without.
	DT float64 `json:"dt,omitempty"`
	// Gamma is the Langevin friction in 1/ps; absent means 5 (the study's),
	// 0 gives Newtonian dynamics.
	Gamma *float64 `json:"gamma,omitempty"`
	// Cutoff is "switch" (default: switch from SwitchOn to CutoffDist) or
	// "none" (every pair, for verification).
	Cutoff     string  `json:"cutoff,omitempty"`
	SwitchOn   float64 `json:"switch_on,omitempty"`   // Å, default 10
	CutoffDist float64 `json:"cutoff_dist,omitempty"` // Å, default 12
	// Shake constrains bonds to hydrogen (SHAKE/RATTLE); absent means true.
	Shake *bool `json:"shake,omitempty"`
}

// Engine is a CHARMM vacuum system under Langevin dynamics. It holds
// read-only data and a pool of integrators, so one Engine may run many
// replicas at once.
type Engine struct {
	Sys   *System
	X0    []float64 // starting coordinates, Å
	dt    float64
	gamma float64
	cut   Cutoff
	cons  []Constraint
	// Integrators with their force fields' pair lists and scratch space,
	// reused across segments. Reuse cannot change a result: a pair list is
	// only kept while it holds every pair within the cutoff, and the pairs
	// are summed in atom order whatever list they came from.
	pool sync.Pool
}

var _ engine.Engine = (*Engine)(nil)

func init() {
	engine.Register("ww", func(raw json.RawMessage) (engine.Engine, error) {
		var o Options
		if len(bytes.TrimSpace(raw)) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			d := json.NewDecoder(bytes.NewReader(raw))
			d.DisallowUnknownFields()
			if err := d.Decode(&o); err != nil {
				return nil, fmt.Errorf("charmm options: %w (accepted: pdb psf par dt gamma cutoff switch_on cutoff_dist shake)", err)
			}
		}
		return New(o)
	})
}

// New loads the system the options name and validates the dynamics settings.
func New(o Options) (*Engine, error) {
	defaulted := o.PDB == "" || o.PSF == "" || o.Par == ""
	if o.PDB == "" {
		o.PDB = DefaultPath(DefaultPDB)
	}
	if o.PSF == "" {
		o.PSF = DefaultPath(DefaultPSF)
	}
	if o.Par == "" {
		o.Par = DefaultPath(DefaultPar)
	}
	sys, x, err := Load(o.PSF, o.PDB, o.Par)
	if err != nil {
		if defaulted && errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w (a default input of the WW domain: give pdb, psf and par, or set $%s to their folder)", err, EnvData)
		}
		return nil, err
	}
	return NewEngine(sys, x, o)
}

// NewEngine builds an engine for an already loaded system; the file names in
// o are ignored.
func NewEngine(sys *System, x0 []float64, o Options) (*Engine, error) {
	shake := o.Shake == nil || *o.Shake
	e := &Engine{Sys: sys, X0: x0, dt: o.DT, gamma: 5}
	if o.Gamma != nil {
		e.gamma = *o.Gamma
	}
	if e.gamma < 0 || math.IsNaN(e.gamma) {
		return nil, fmt.Errorf("charmm: gamma %v: need ≥ 0 (1/ps)", e.gamma)
	}
	if e.dt == 0 {
		e.dt = 1
		if shake {
			e.dt = 2
		}
	}
	if e.dt < 0 || e.dt > 4 || math.IsNaN(e.dt) {
		return nil, fmt.Errorf("charmm: dt %v fs: need 0 < dt ≤ 4", e.dt)
	}
	if !shake && e.dt > 1.5 {
		return nil, fmt.Errorf("charmm: dt %v fs without SHAKE is unstable (bonds to hydrogen vibrate in ~10 fs); use dt ≤ 1.5 or shake: true", e.dt)
	}
	switch o.Cutoff {
	case "", "switch":
		e.cut = StudyCutoff
		if o.SwitchOn != 0 {
			e.cut.On = o.SwitchOn
		}
		if o.CutoffDist != 0 {
			e.cut.Off = o.CutoffDist
		}
		if !(e.cut.On > 0 && e.cut.On < e.cut.Off) {
			return nil, fmt.Errorf("charmm: switch_on %v and cutoff_dist %v: need 0 < switch_on < cutoff_dist (Å)", e.cut.On, e.cut.Off)
		}
	case "none":
		e.cut = Cutoff{None: true}
	default:
		return nil, fmt.Errorf("charmm: cutoff %q: accepted are \"switch\" and \"none\"", o.Cutoff)
	}
	if shake {
		e.cons = sys.HBondConstraints()
	}
	return e, nil
}

// Dim is 3 × atoms.
func (e *Engine) Dim() int { return 3 * e.Sys.N() }

// Boltzmann is k_B in kcal/(mol·K).
func (e *Engine) Boltzmann() float64 { return Boltzmann }

// Terms returns the potential energy of x (Å) by term.
func (e *Engine) Terms(x []float64) Terms {
	in := e.integrator()
	defer e.pool.Put(in)
	return in.FF.Energy(x, nil)
}

// Potential is the potential energy of x in kcal/mol.
func (e *Engine) Potential(x []float64) float64 { return e.Terms(x).Total() }

// integrator returns an integrator from the pool or a new one; hand it
// back with e.pool.Put.
func (e *Engine) integrator() *Integrator {
	if in, ok := e.pool.Get().(*Integrator); ok {
		return in
	}
	return &Integrator{Sys: e.Sys, FF: NewForceField(e.Sys, e.cut), DT: e.dt, Gamma: e.gamma, Constraints: e.cons}
}

// Initial returns the PDB coordinates (constrained) with Maxwell-Boltzmann
// velocities at t and no centre-of-mass motion. Velocities are in Å/fs.
func (e *Engine) Initial(rng *rand.Rand, t float64) (engine.State, error) {
	if t <= 0 || math.IsNaN(t) {
		return engine.State{}, fmt.Errorf("charmm: temperature %v K: need > 0", t)
	}
	n := e.Sys.N()
	x := append([]float64(nil), e.X0...)
	v := make([]float64, 3*n)
	var p [3]float64
	var mt float64
	for i, m := range e.Sys.Mass {
		s := math.Sqrt(Boltzmann * t * accelUnit / m)
		for k := 0; k < 3; k++ {
			v[3*i+k] = s * rng.NormFloat64()
			p[k] += m * v[3*i+k]
		}
		mt += m
	}
	for i := 0; i < n; i++ {
		for k := 0; k < 3; k++ {
			v[3*i+k] -= p[k] / mt
		}
	}
	in := e.integrator()
	defer e.pool.Put(in)
	if err := in.Constrain(x, v); err != nil {
		return engine.State{}, err
	}
	return engine.State{X: x, V: v}, nil
}

// Segment advances st by steps Langevin steps at temperature t (K).
func (e *Engine) Segment(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand) (float64, error) {
	if len(st.X) != e.Dim() || len(st.V) != e.Dim() {
		return 0, fmt.Errorf("charmm: state has %d coordinates and %d velocities, want %d each", len(st.X), len(st.V), e.Dim())
	}
	if t <= 0 || math.IsNaN(t) {
		return 0, fmt.Errorf("charmm: temperature %v K: need > 0", t)
	}
	if steps < 0 {
		return 0, fmt.Errorf("charmm: %d steps: need ≥ 0", steps)
	}
	// Work on copies so a failed segment leaves the state as it was.
	x, v := append([]float64(nil), st.X...), append([]float64(nil), st.V...)
	in := e.integrator()
	defer e.pool.Put(in)
	terms, err := in.Run(ctx, x, v, t, steps, rng)
	if err != nil {
		return 0, err
	}
	copy(st.X, x)
	copy(st.V, v)
	return terms.Total(), nil
}

// DT is the time step in fs.
func (e *Engine) DT() float64 { return e.dt }
