package charmm

// SetVectorKernel chooses the vector pair kernel (when the machine has
// one) or the pure-Go loop, for benchmarks comparing the two; it returns
// the previous choice.
func SetVectorKernel(on bool) (was bool) {
	was = useAVX2
	useAVX2 = on && hasVectorKernel
	return was
}

// SetAVX512 chooses the 512-bit form of the vector kernel (when the
// machine has it) or the 256-bit one; it returns the previous choice.
func SetAVX512(on bool) (was bool) {
	was = useAVX512
	useAVX512 = on && hasAVX512
	return was
}
