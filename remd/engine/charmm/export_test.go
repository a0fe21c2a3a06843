package charmm

// SetVectorKernel chooses the vector pair kernel (when the machine has
// one) or the pure-Go loop, for benchmarks comparing the two; it returns
// the previous choice.
func SetVectorKernel(on bool) (was bool) {
	was = useAVX2
	useAVX2 = on && hasVectorKernel
	return was
}
