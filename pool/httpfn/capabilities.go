package httpfn

import "github.com/burst-dev/burst/pool/driver"

// envelopeRoom is what a call's envelope and headers add to its encoded
// value, kept free below a platform's limit.
const envelopeRoom = 64 << 10

// SpillBelow is the spill threshold for a platform limit of limit bytes a
// message: values above it go to the payload store, so that a message
// with its envelope stays under the limit.
func SpillBelow(limit int) int { return limit - envelopeRoom }

// Capabilities are those of a function platform reached over HTTP:
// remote workers, retried 8 times, messages of at most maxMessage bytes,
// and values spilled to the payload store below spillLimit (see
// SpillBelow), which may be smaller than maxMessage where the platform's
// response limit is.
func Capabilities(maxMessage, spillLimit int) driver.Capabilities {
	return driver.Capabilities{Remote: true, MaxMessage: maxMessage, SpillThreshold: SpillBelow(spillLimit), Retries: 8}
}
