//go:build !amd64

package charmm

var useAVX2, hasVectorKernel = false, false

func pairRowsAVX2(*rowKernel) { panic("unreachable") }

var useAVX512, hasAVX512 = false, false

func pairRowsAVX512(*rowKernel) { panic("unreachable") }
