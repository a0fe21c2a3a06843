// Package engine is the contract between replica exchange and the code that
// moves atoms. remd drives any Engine the same way: it asks for a starting
// state, then repeatedly asks the engine to advance a replica's state by a
// segment of MD steps at a temperature, and reads back the potential energy.
//
// Engines are registered by name, as database/sql drivers are, so a system can
// be chosen by a flag and rebuilt inside a remote worker from its Spec alone.
package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/burst-dev/burst/internal/registry"
)

// State is everything a segment needs to continue a trajectory exactly: a
// replica's own last coordinates and velocities. Both are flat slices of
// Engine.Dim() numbers (x0,y0,z0,x1,… for particle systems).
type State struct {
	X Floats `json:"x"`
	V Floats `json:"v"`
}

// Clone returns a deep copy.
func (s State) Clone() State {
	return State{X: append(Floats(nil), s.X...), V: append(Floats(nil), s.V...)}
}

// Spec names an engine and carries its options. It travels inside every pool
// call, so it must be small and JSON-encodable; Options is decoded by the
// engine's Factory, which should reject unknown fields.
type Spec struct {
	Name    string          `json:"name"`
	Options json.RawMessage `json:"options,omitempty"`
}

// Engine advances replica states. Implementations must be deterministic: the
// same state, temperature, steps and random stream give the same result, bit
// for bit, on every machine (no map iteration order, no goroutine races in the
// arithmetic).
type Engine interface {
	// Dim is the number of coordinates in a State.
	Dim() int
	// Initial returns a starting state (coordinates and velocities drawn for
	// temperature t) for one replica.
	Initial(rng *rand.Rand, t float64) (State, error)
	// Potential is U(x), in the engine's energy unit.
	Potential(x []float64) float64
	// Segment advances st in place by steps MD steps at temperature t and
	// returns the potential energy of the final coordinates.
	Segment(ctx context.Context, st *State, t float64, steps int, rng *rand.Rand) (float64, error)
	// Boltzmann is k_B in the engine's units (1 in reduced units,
	// 0.0019872041 kcal/(mol·K) for CHARMM), so β = 1/(Boltzmann·T).
	Boltzmann() float64
}

// A Factory builds an engine from its Spec options.
type Factory func(options json.RawMessage) (Engine, error)

var factories = registry.New[Factory]("engine: engine")

// Register makes an engine available by name. It panics on a duplicate name,
// because two engines answering to one name is a build mistake.
func Register(name string, f Factory) { factories.Register(name, f) }

// Names lists the registered engines, sorted.
func Names() []string { return factories.Names() }

// New builds the engine a Spec names.
func New(s Spec) (Engine, error) {
	f, ok := factories.Lookup(s.Name)
	if !ok {
		return nil, fmt.Errorf("engine: unknown system %q (known: %v)", s.Name, Names())
	}
	e, err := f(s.Options)
	if err != nil {
		return nil, fmt.Errorf("engine %s: %w", s.Name, err)
	}
	return e, nil
}
