package pool

import "github.com/burst-dev/burst/pool/driver"

// WithSpill makes the pool put every call input whose encoded size exceeds
// threshold bytes into s, and fetch results that workers spilled there.
// Objects live under burst-spill/<job>/ and are deleted once read. pool/spill
// opens a store on any cloudfs URL; driver and workers must reach the same
// one.
func WithSpill(s driver.PayloadStore, threshold int) Option {
	return Option{func(set *settings) { set.spill, set.spillAt = s, threshold }}
}
