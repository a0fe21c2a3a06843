//go:build !amd64

package charmm

var useAVX2, hasVectorKernel = false, false

func pairRowsAVX2(*rowKernel) { panic("unreachable") }
