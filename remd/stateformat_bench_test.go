package remd

import (
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/burst-dev/burst/remd/engine"
)

// wwDim is the coordinates of the WW domain's state (544 atoms).
const wwDim = 3 * 544

// BenchmarkStateChecksum is what the checked form costs over the unchecked
// one of earlier versions (stateMagicV1 and the packed state), on a state
// of the WW domain's size (26 KiB): each op encodes and decodes the state in
// both forms, interleaved, each timed on its own. It reports the median time
// of each and the ratios checked/unchecked of the medians and of the
// fastest times (the machine's noise, a preemption, lands in the slow tail
// of both, not in their best).
//
//	go test -run '^$' -bench StateChecksum ./remd/
func BenchmarkStateChecksum(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	st := engine.State{X: make(engine.Floats, wwDim), V: make(engine.Floats, wwDim)}
	for i := range st.X {
		st.X[i], st.V[i] = 10*rng.NormFloat64(), rng.NormFloat64()
	}
	key := stateKey("0123456789abcdef", 123456, 71)
	var enc1, enc2, dec1, dec2 []time.Duration
	timed := func(d *[]time.Duration, f func()) {
		t0 := time.Now()
		f()
		*d = append(*d, time.Since(t0))
	}
	var b1, b2 []byte
	decode := func(b1 []byte) func() {
		return func() {
			if _, err := decodeState(key, b1); err != nil {
				b.Fatal(err)
			}
		}
	}
	for b.Loop() {
		timed(&enc1, func() { b1 = appendStates([]byte(stateMagicV1), []engine.State{st}) })
		timed(&enc2, func() { b2, _ = encodeState(key, st) })
		timed(&dec1, decode(b1))
		timed(&dec2, decode(b2))
	}
	b.StopTimer()
	median := func(d []time.Duration) float64 { slices.Sort(d); return float64(d[len(d)/2]) }
	best := func(d []time.Duration) float64 { return float64(d[0]) } // sorted by median
	report := func(what string, unchecked, checked []time.Duration) {
		mu, mc := median(unchecked), median(checked)
		b.ReportMetric(mu, "unchecked-"+what+"-ns")
		b.ReportMetric(mc, "checked-"+what+"-ns")
		b.ReportMetric(mc/mu, what+"-ratio")
		b.ReportMetric(best(checked)/best(unchecked), what+"-ratio-best")
	}
	report("encode", enc1, enc2)
	report("decode", dec1, dec2)
	b.ReportMetric(float64(len(b2)-len(b1)), "extra-bytes")
}

// BenchmarkCRC32C is the checksum alone over a WW-domain state's bytes.
func BenchmarkCRC32C(b *testing.B) {
	buf := make([]byte, 16*wwDim)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		_ = crc32.Checksum(buf, castagnoli)
	}
}
