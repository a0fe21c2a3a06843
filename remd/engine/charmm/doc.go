// Package charmm is a CHARMM force field in vacuum with Langevin dynamics,
// in pure Go: the engine the study ran through ProtoMol, with no container
// image, because the same static binary runs in any function.
//
// It reads X-PLOR/CHARMM PSF files, PDB coordinates and CHARMM parameter
// files (bonds, angles with Urey-Bradley, multi-term dihedrals with X
// wildcards, harmonic impropers, Lennard-Jones with 1-4 parameters, NBFIX),
// and evaluates energies and forces: bonded terms, Lennard-Jones and Coulomb
// with 1-2 and 1-3 pairs excluded and 1-4 pairs given the special LJ
// parameters and e14fac-scaled electrostatics. Nonbonded pairs either all
// count (Cutoff{None: true}, for verification) or are switched off between
// 10 and 12 Å with CHARMM's switching function over a cell-built pair list.
// Every term agrees with GROMACS's charmm27 port to 0.1 % (see the tests).
//
// Dynamics are Langevin (BAOAB) in real units: Å, fs, amu, K, kcal/mol,
// γ = 5/ps by default, 1 fs unconstrained or 2 fs with SHAKE/RATTLE on bonds
// to hydrogen. Every sum runs in a fixed order, so a segment is bit-for-bit
// reproducible from its state and random stream, however it is split.
//
// Importing the package registers the engine "ww", the study's WW domain,
// with JSON options (see Options):
//
//	import _ "github.com/burst-dev/burst/remd/engine/charmm"
//	e, err := engine.New(engine.Spec{Name: "ww", Options: json.RawMessage(`{"dt":2,"shake":true}`)})
package charmm
