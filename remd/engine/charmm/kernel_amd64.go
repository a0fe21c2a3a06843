package charmm

import "golang.org/x/sys/cpu"

// useAVX2 selects the vector pair kernel. It gives the same bits as the
// pure-Go loop (TestVectorKernelSameBits), so choosing it by machine
// cannot make two workers disagree.
var useAVX2 = hasVectorKernel

var hasVectorKernel = cpu.X86.HasAVX2

// pairRowsAVX2 adds the pair forces of every row of the list to k.forces,
// as pairForces does.
//
//go:noescape
func pairRowsAVX2(k *rowKernel)
