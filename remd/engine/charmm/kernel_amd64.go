package charmm

import "golang.org/x/sys/cpu"

// useAVX2 selects the vector pair kernel. It gives the same bits as the
// pure-Go loop (TestVectorKernelSameBits), so choosing it by machine
// cannot make two workers disagree.
var useAVX2 = hasVectorKernel

var hasVectorKernel = cpu.X86.HasAVX2

// useAVX512 runs the vector kernel two groups of partners at a time in
// 512-bit registers; the same bits again (TestVectorKernelSameBits).
var useAVX512 = hasAVX512

var hasAVX512 = cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// pairRowsAVX2 adds the pair forces of every row of the list to k.forces,
// as pairForces does.
//
//go:noescape
func pairRowsAVX2(k *rowKernel)

// pairRowsAVX512 is pairRowsAVX2 with two groups in the eight lanes of a
// 512-bit register at once.
//
//go:noescape
func pairRowsAVX512(k *rowKernel)
