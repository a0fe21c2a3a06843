package gromacs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/gromacs"
)

// wwEngine builds the WW domain with pdb2gmx -ff charmm27 in a 12 nm box and
// returns the "gromacs" engine for it.
func wwEngine(t *testing.T) engine.Engine {
	t.Helper()
	gmx := testenv.NeedTool(t, "gmx")
	dir := t.TempDir()
	top, gro := testenv.GromacsWW(t, gmx, dir, 12)
	opts, _ := json.Marshal(map[string]any{"gmx": gmx, "top": top, "conf": gro, "workdir": dir})
	e, err := engine.New(engine.Spec{Name: "gromacs", Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSegmentsCarryStateAndReportThePotential(t *testing.T) {
	e := wwEngine(t)
	if e.Dim() != 3*544 {
		t.Fatalf("Dim = %d; want %d", e.Dim(), 3*544)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	st, err := e.Initial(rng, 300)
	if err != nil {
		t.Fatal(err)
	}
	// Kinetic temperature of the drawn velocities (nm/ps, amu) is about 300 K;
	// checked loosely through the mean square speed being non-zero and finite.
	var v2 float64
	for _, v := range st.V {
		v2 += v * v
	}
	if v2 == 0 || math.IsNaN(v2) {
		t.Fatalf("Initial drew no velocities")
	}
	start := st.Clone()
	ctx := context.Background()
	u1, err := e.Segment(ctx, &st, 300, 50, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(st.X, start.X) {
		t.Fatal("Segment did not move the atoms")
	}
	// The potential mdrun reports for the last frame is the potential of the
	// coordinates it hands back.
	if u := e.Potential(st.X); math.Abs(u-u1) > 0.05+1e-5*math.Abs(u1) {
		t.Errorf("Segment returned U = %.4f kJ/mol; Potential(final x) = %.4f", u1, u)
	}
	// Same state, same seed: the same segment (one thread, one machine).
	again := start.Clone()
	u2, err := e.Segment(ctx, &again, 300, 50, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	if u1 != u2 || !slices.Equal(st.X, again.X) || !slices.Equal(st.V, again.V) {
		t.Errorf("two segments from one state and seed differ: U %v vs %v", u1, u2)
	}
	t.Logf("U after 50 steps at 300 K: %.2f kJ/mol", u1)
}

func TestBadInputsAreReported(t *testing.T) {
	gmx := testenv.NeedTool(t, "gmx")
	cases := []struct{ opts, want string }{
		{`{"top":"x.top"}`, "required"},
		{`{"top":"/nonexistent.top","conf":"c.gro"}`, "topology"},
		{`{"top":"a","conf":"b","colour":1}`, "unknown field"},
		{fmt.Sprintf(`{"gmx":%q,"top":"/nonexistent.top","conf":"c.gro"}`, gmx+"-missing"), "gmx"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			_, err := engine.New(engine.Spec{Name: "gromacs", Options: json.RawMessage(c.opts)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v; want it to mention %q", err, c.want)
			}
		})
	}
}
