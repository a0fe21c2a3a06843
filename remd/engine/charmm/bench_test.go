package charmm_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/burst-dev/burst/remd/engine"
	"github.com/burst-dev/burst/remd/engine/charmm"
)

// BenchmarkSegment is issue 8's figure 1 for the Go side: one 1000-step
// segment at 2 fs with SHAKE (examples/ww-bench compares it with GROMACS).
func BenchmarkSegment(b *testing.B) {
	e, err := engine.New(engine.Spec{Name: "ww", Options: wwOptions(b, "")})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	st0, err := e.Initial(rng, 300)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		st := st0.Clone()
		if _, err := e.Segment(context.Background(), &st, 300, 1000, rng); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSegmentGo is BenchmarkSegment with the pure-Go pair loop, the
// baseline of the vector kernel.
func BenchmarkSegmentGo(b *testing.B) {
	defer charmm.SetVectorKernel(charmm.SetVectorKernel(false))
	BenchmarkSegment(b)
}

// BenchmarkSegmentAVX2 is BenchmarkSegment with the vector kernel in
// 256-bit registers only (one group of partners at a time).
func BenchmarkSegmentAVX2(b *testing.B) {
	defer charmm.SetAVX512(charmm.SetAVX512(false))
	BenchmarkSegment(b)
}

// BenchmarkForces is one energy and force evaluation with the study's
// cutoffs (pair list kept between calls, as in dynamics).
func BenchmarkForces(b *testing.B) {
	sys, x := loadWW(b)
	ff := charmm.NewForceField(sys, charmm.StudyCutoff)
	f := make([]float64, len(x))
	b.ReportAllocs()
	for b.Loop() {
		ff.Energy(x, f)
	}
}

// BenchmarkDynamicsForces is the force-only evaluation of a dynamics step
// (pair list kept), with the vector pair kernel where the machine has it.
func BenchmarkDynamicsForces(b *testing.B) {
	sys, x := loadWW(b)
	ff := charmm.NewForceField(sys, charmm.StudyCutoff)
	f := make([]float64, len(x))
	b.ReportAllocs()
	for b.Loop() {
		ff.Forces(x, f)
	}
}

// BenchmarkDynamicsForcesGo is BenchmarkDynamicsForces with the pure-Go
// pair loop.
func BenchmarkDynamicsForcesGo(b *testing.B) {
	defer charmm.SetVectorKernel(charmm.SetVectorKernel(false))
	BenchmarkDynamicsForces(b)
}
