// Package rawio reads and writes the non-blocking descriptors of the pool's
// streams (process:// pipes, tcp:// connections) with system calls the Go
// scheduler is not told of, which a non-blocking descriptor never needs: see
// Stream.
package rawio
