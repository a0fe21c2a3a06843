package codec_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/burst-dev/burst/codec"
)

// The payloads of examples/poolbench (an int in, an int out; a duration in),
// and a replica's state as remd sends it, for scale.
type benchState struct {
	Seed    uint64
	Replica int
	T       float64
	X, V    []float64
}

func benchPayloads() map[string]func() any {
	xs := make([]float64, 3*38)
	for i := range xs {
		xs[i] = rand.NormFloat64()
	}
	return map[string]func() any{
		"int":      func() any { v := 123456; return &v },
		"duration": func() any { v := 100 * time.Millisecond; return &v },
		"state":    func() any { return &benchState{Seed: 1, Replica: 7, T: 312.5, X: xs, V: xs} },
	}
}

func benchRoundTrip(b *testing.B, c codec.Codec, v func() any) {
	in := v()
	out := v()
	b.ReportAllocs()
	for b.Loop() {
		data, err := c.Marshal(in)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Unmarshal(data, out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCodec is figure 2 of issue 13: Marshal+Unmarshal of each poolbench
// payload under JSON (the old default) and Binary (the new one). Compare the
// pairs with benchstat, or read BenchmarkFigure2's ratio.
func BenchmarkCodec(b *testing.B) {
	for name, v := range benchPayloads() {
		for _, c := range []codec.Codec{codec.JSON, codec.Binary} {
			b.Run(name+"/"+c.Name(), func(b *testing.B) { benchRoundTrip(b, c, v) })
		}
	}
}

// BenchmarkFigure2 measures JSON and Binary interleaved, 2000 round trips
// of each per iteration, and reports Binary's throughput as a multiple of
// JSON's per payload (goal ≥ 0.9).
func BenchmarkFigure2(b *testing.B) {
	for name, v := range benchPayloads() {
		b.Run(name, func(b *testing.B) {
			const n = 2000
			var took [2]time.Duration
			in, out := v(), v()
			for b.Loop() {
				for i, c := range []codec.Codec{codec.JSON, codec.Binary} {
					start := time.Now()
					for range n {
						data, err := c.Marshal(in)
						if err != nil {
							b.Fatal(err)
						}
						if err := c.Unmarshal(data, out); err != nil {
							b.Fatal(err)
						}
					}
					took[i] += time.Since(start)
				}
			}
			b.ReportMetric(float64(took[0])/float64(took[1]), "bin/json")
			b.ReportMetric(float64(took[0].Nanoseconds())/float64(n*b.N), "json-ns/rt")
			b.ReportMetric(float64(took[1].Nanoseconds())/float64(n*b.N), "bin-ns/rt")
		})
	}
}
