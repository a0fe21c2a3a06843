package charmm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/remd/engine"
	"github.com/burst-dev/burst/remd/engine/charmm"
)

var wwOnce struct {
	sync.Mutex
	sys *charmm.System
	x   []float64
}

// loadWW loads the study's WW domain once per test binary.
func loadWW(t testing.TB) (*charmm.System, []float64) {
	t.Helper()
	dir := testenv.WWDataDir(t)
	wwOnce.Lock()
	defer wwOnce.Unlock()
	if wwOnce.sys == nil {
		sys, x, err := charmm.Load(filepath.Join(dir, "ww_exteq_nowater1.psf"), filepath.Join(dir, "ww_exteq_nowater1.pdb"), filepath.Join(dir, "par_all27_prot_lipid.inp"))
		if err != nil {
			t.Fatal(err)
		}
		wwOnce.sys, wwOnce.x = sys, x
	}
	return wwOnce.sys, slices.Clone(wwOnce.x)
}

func wwOptions(t testing.TB, extra string) json.RawMessage {
	dir := testenv.WWDataDir(t)
	o := fmt.Sprintf(`{"pdb":%q,"psf":%q,"par":%q`, filepath.Join(dir, "ww_exteq_nowater1.pdb"), filepath.Join(dir, "ww_exteq_nowater1.psf"), filepath.Join(dir, "par_all27_prot_lipid.inp"))
	if extra != "" {
		o += "," + extra
	}
	return json.RawMessage(o + "}")
}

func TestWWLoadsWithEveryTerm(t *testing.T) {
	sys, _ := loadWW(t)
	got := [5]int{sys.N(), len(sys.Bonds), len(sys.Angles), len(sys.Dihedrals), len(sys.Impropers)}
	want := [5]int{544, 553, 989, 1460, 90}
	if got != want {
		t.Errorf("atoms, bonds, angles, dihedrals, impropers = %v; want %v", got, want)
	}
	// pdb2gmx finds the same number of 1-4 pairs from the same bonds.
	if len(sys.Pairs14) != 1420 {
		t.Errorf("1-4 pairs = %d; want 1420", len(sys.Pairs14))
	}
}

// Forces must be minus the gradient of the energy, term by term, in both
// cutoff modes; checked by central differences on a sample of coordinates.
func TestForcesAreMinusTheGradient(t *testing.T) {
	sys, x := loadWW(t)
	// Move off the minimised structure so every term has a gradient, and
	// put some pairs inside the switching region.
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range x {
		x[i] += 0.05 * rng.NormFloat64()
	}
	for _, c := range []struct {
		name string
		cut  charmm.Cutoff
	}{{"no cutoff", charmm.Cutoff{None: true}}, {"switch 10-12", charmm.StudyCutoff}} {
		t.Run(c.name, func(t *testing.T) {
			ff := charmm.NewForceField(sys, c.cut)
			f := make([]float64, len(x))
			ff.Energy(x, f)
			const h = 1e-5
			samples := 60
			if raceEnabled {
				samples = 15 // each no-cutoff energy is O(N²), and slow under -race
			}
			for k := 0; k < samples; k++ {
				i := rng.IntN(len(x))
				xp := slices.Clone(x)
				xp[i] += h
				ep := ff.Energy(xp, nil).Total()
				xp[i] -= 2 * h
				em := ff.Energy(xp, nil).Total()
				num := -(ep - em) / (2 * h)
				if d := math.Abs(num - f[i]); d > 1e-4+1e-5*math.Abs(num) {
					t.Errorf("coordinate %d (atom %d): force %.8g, -dE/dx %.8g", i, i/3+1, f[i], num)
				}
			}
		})
	}
}

// With γ = 0 the integrator is velocity Verlet (+ RATTLE): total energy must
// not drift. 10 ps at 1 fs without constraints is the acceptance run; under
// the race detector (about 10× slower) it runs 2 ps, and 2 fs with SHAKE runs
// the same simulated time.
func TestNVEConservesEnergy(t *testing.T) {
	picoseconds := 10.0
	if raceEnabled || testing.Short() {
		picoseconds = 2
	}
	for _, c := range []struct {
		dt       float64
		shake    bool
		maxDrift float64 // kcal/mol over the run, |mean of last ps − mean of first ps|
		maxRMS   float64 // kcal/mol, fluctuation of the total about its mean
	}{
		// Measured on the WW domain from the PDB structure at 300 K (kinetic
		// energy ≈ 490 kcal/mol): 10 ps at 1 fs drifts about -2 kcal/mol with
		// rms 0.8; 2 fs with SHAKE about -3.6 with rms 1.3. The bounds allow
		// about twice that: a wrong force or a missed constraint is far worse.
		{1, false, 4, 1.5},
		{2, true, 7, 2.5},
	} {
		t.Run(fmt.Sprintf("dt=%gfs shake=%v", c.dt, c.shake), func(t *testing.T) {
			e, err := engine.New(engine.Spec{Name: "ww", Options: wwOptions(t, fmt.Sprintf(`"dt":%g,"shake":%v,"gamma":0`, c.dt, c.shake))})
			if err != nil {
				t.Fatal(err)
			}
			ww := e.(*charmm.Engine)
			rng := rand.New(rand.NewPCG(1, 2))
			st, err := e.Initial(rng, 300)
			if err != nil {
				t.Fatal(err)
			}
			stepsPerSample := int(100 / c.dt) // 0.1 ps
			samples := int(picoseconds * 10)
			var totals []float64
			for s := 0; s < samples; s++ {
				u, err := e.Segment(context.Background(), &st, 300, stepsPerSample, rng)
				if err != nil {
					t.Fatal(err)
				}
				totals = append(totals, u+ww.Sys.Kinetic(st.V))
			}
			mean := func(v []float64) float64 {
				var s float64
				for _, x := range v {
					s += x
				}
				return s / float64(len(v))
			}
			m := mean(totals)
			var rms float64
			for _, x := range totals {
				rms += (x - m) * (x - m)
			}
			rms = math.Sqrt(rms / float64(len(totals)))
			drift := mean(totals[len(totals)-10:]) - mean(totals[:10])
			t.Logf("%g ps at %g fs (shake %v): total energy drift %+.3f kcal/mol (first vs last ps), rms %.3f kcal/mol, mean %.2f",
				picoseconds, c.dt, c.shake, drift, rms, m)
			if math.Abs(drift) > c.maxDrift || rms > c.maxRMS {
				t.Errorf("drift %.3f (max %.1f), rms %.3f (max %.1f) kcal/mol", drift, c.maxDrift, rms, c.maxRMS)
			}
		})
	}
}

func TestSegmentsAreDeterministicAndSplittable(t *testing.T) {
	e, err := engine.New(engine.Spec{Name: "ww", Options: wwOptions(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	run := func(splits ...int) (engine.State, float64) {
		rng := rand.New(rand.NewPCG(3, 4))
		st, err := e.Initial(rng, 350)
		if err != nil {
			t.Fatal(err)
		}
		var u float64
		for _, n := range splits {
			if u, err = e.Segment(context.Background(), &st, 350, n, rng); err != nil {
				t.Fatal(err)
			}
		}
		return st, u
	}
	a, ua := run(60)
	b, ub := run(60)
	c, uc := run(25, 35)
	if ua != ub || !slices.Equal(a.X, b.X) || !slices.Equal(a.V, b.V) {
		t.Errorf("two runs from one seed differ: U %v vs %v", ua, ub)
	}
	if ua != uc || !slices.Equal(a.X, c.X) || !slices.Equal(a.V, c.V) {
		t.Errorf("60 steps vs 25+35 steps differ: U %v vs %v", ua, uc)
	}
	if u := e.Potential(a.X); u != ua {
		t.Errorf("Potential(final x) = %v; Segment returned %v", u, ua)
	}
}

func TestCancelledSegmentLeavesStateAlone(t *testing.T) {
	e, err := engine.New(engine.Spec{Name: "ww", Options: wwOptions(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	st, _ := e.Initial(rng, 300)
	before := st.Clone()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Segment(ctx, &st, 300, 500, rng); err == nil {
		t.Fatal("Segment with a cancelled context returned no error")
	}
	if !slices.Equal(st.X, before.X) || !slices.Equal(st.V, before.V) {
		t.Error("a failed segment changed the state")
	}
}

func TestBadOptionsAreRejected(t *testing.T) {
	cases := []struct{ opts, want string }{
		{`{"colour":"red"}`, "unknown field"},
		{`{"cutoff":"pme"}`, `cutoff "pme"`},
		{`{"dt":2,"shake":false}`, "without SHAKE"},
		{`{"switch_on":12,"cutoff_dist":10}`, "switch_on"},
		{`{"psf":"/nonexistent/x.psf"}`, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			opts := c.opts
			if !strings.Contains(opts, "psf") {
				base := string(wwOptions(t, ""))
				opts = base[:len(base)-1] + "," + opts[1:]
			}
			_, err := engine.New(engine.Spec{Name: "ww", Options: json.RawMessage(opts)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("engine.New(%s) error = %v; want it to mention %q", opts, err, c.want)
			}
		})
	}
}

// The default inputs are read from $BURST_WW_DATA when it is set, so a
// clone that does not sit beside ../shared runs -system ww; without them the
// error says how to provide them.
func TestDefaultInputsFollowBURST_WW_DATA(t *testing.T) {
	dir := testenv.WWDataDir(t)
	t.Chdir(t.TempDir()) // no ../shared/data/ww from here
	t.Setenv(charmm.EnvData, dir)
	e, err := engine.New(engine.Spec{Name: "ww"})
	if err != nil {
		t.Fatalf("engine.New with $%s=%s: %v", charmm.EnvData, dir, err)
	}
	if n := e.(*charmm.Engine).Sys.N(); n != 544 {
		t.Errorf("default system has %d atoms; want the WW domain's 544", n)
	}
	t.Setenv(charmm.EnvData, "")
	_, err = engine.New(engine.Spec{Name: "ww"})
	if err == nil || !strings.Contains(err.Error(), charmm.EnvData) {
		t.Errorf("engine.New without the data: %v; want an error naming $%s", err, charmm.EnvData)
	}
}

// Dynamics asks for energies only at the end of a segment; the forces must
// be the same bits either way, or where a segment ends would change the
// trajectory.
func TestForcesMatchEnergyForcesBitForBit(t *testing.T) {
	sys, x := loadWW(t)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range x {
		x[i] += 0.05 * rng.NormFloat64()
	}
	for _, c := range []struct {
		name string
		cut  charmm.Cutoff
	}{{"no cutoff", charmm.Cutoff{None: true}}, {"switch 10-12", charmm.StudyCutoff}} {
		t.Run(c.name, func(t *testing.T) {
			ff := charmm.NewForceField(sys, c.cut)
			want := make([]float64, len(x))
			ff.Energy(x, want)
			got := make([]float64, len(x))
			if !ff.Forces(x, got) {
				t.Fatal("Forces reports non-finite forces")
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("coordinate %d: Forces %v, Energy %v", i, got[i], want[i])
				}
			}
		})
	}
}
