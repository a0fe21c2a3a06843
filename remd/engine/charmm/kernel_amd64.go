package charmm

import "golang.org/x/sys/cpu"

// useAVX2 selects the vector pair kernel. It gives the same bits as the
// pure-Go loop (TestVectorKernelSameBits), so choosing it by machine
// cannot make two workers disagree.
var useAVX2 = hasVectorKernel

var hasVectorKernel = cpu.X86.HasAVX2

// pairRowAVX2 adds the forces between atom i and its partners k.js[:k.n]
// to *k.fi and k.fa, as pairRowForces does.
//
//go:noescape
func pairRowAVX2(k *rowKernel)
