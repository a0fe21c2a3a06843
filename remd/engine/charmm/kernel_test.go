package charmm

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
)

// TestVectorKernelSameBits checks that the vector pair kernel gives the
// pure-Go loop's forces bit for bit, on the PDB structure, on structures
// shaken so that pairs fall everywhere in the switching region, and along
// a trajectory, so that the kernel may be chosen by machine.
func TestVectorKernelSameBits(t *testing.T) {
	if !useAVX2 {
		t.Skip("no vector kernel on this machine")
	}
	defer func(v, w bool) { useAVX2, useAVX512 = v, w }(useAVX2, useAVX512)
	// The kernels compared with the Go loop: AVX2 alone, and AVX-512's
	// two groups at a time where the machine has it.
	kernels := []bool{false}
	if hasAVX512 {
		kernels = append(kernels, true)
	}
	dir := testenv.WWDataDir(t)
	sys, x0, err := Load(filepath.Join(dir, "ww_exteq_nowater1.psf"), filepath.Join(dir, "ww_exteq_nowater1.pdb"), filepath.Join(dir, "par_all27_prot_lipid.inp"))
	if err != nil {
		t.Fatal(err)
	}
	forces := func(vector, wide bool, x []float64) []float64 {
		useAVX2, useAVX512 = vector, wide
		f := make([]float64, len(x))
		if !NewForceField(sys, StudyCutoff).Forces(x, f) {
			t.Fatal("forces not finite")
		}
		return f
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 20 {
		x := append([]float64(nil), x0...)
		for k := range x {
			x[k] += 0.3 * float64(trial) * rng.NormFloat64()
		}
		want := forces(false, false, x)
		for _, wide := range kernels {
			got := forces(true, wide, x)
			for k := range want {
				if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
					t.Fatalf("trial %d: f[%d] = %v (vector, AVX-512 %v) vs %v (Go)", trial, k, got[k], wide, want[k])
				}
			}
		}
	}

	run := func(vector, wide bool) []float64 {
		useAVX2, useAVX512 = vector, wide
		e, err := NewEngine(sys, x0, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		st, err := e.Initial(r, 350)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Segment(context.Background(), &st, 350, 100, r); err != nil {
			t.Fatal(err)
		}
		return append(st.X, st.V...)
	}
	want := run(false, false)
	for _, wide := range kernels {
		got := run(true, wide)
		for k := range want {
			if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
				t.Fatalf("after 100 steps, coordinate/velocity %d = %v (vector, AVX-512 %v) vs %v (Go)", k, got[k], wide, want[k])
			}
		}
	}
}
