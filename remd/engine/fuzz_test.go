package engine

import (
	"encoding/json"
	"math"
	"testing"
)

func sameBits(a, b Floats) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// Whatever JSON arrives (a state in a call, a checkpoint, a hand-written
// file), Floats never panics, and what it accepts it writes back exactly.
func FuzzFloatsJSON(f *testing.F) {
	seed, _ := json.Marshal(State{X: Floats{1, -0.5, math.Inf(1), math.NaN()}, V: Floats{math.SmallestNonzeroFloat64}})
	f.Add(seed)
	f.Add([]byte(`{"x":[1,2.5e300,-3],"v":null}`))
	f.Add([]byte(`{"x":"AAAAAAAA8D8=","v":"AAAA"}`))
	f.Add([]byte(`{"x":"\u0041AAAAAAA8D8="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st State
		if err := json.Unmarshal(data, &st); err != nil {
			return
		}
		b, err := json.Marshal(st)
		if err != nil {
			t.Fatalf("marshal what was read: %v", err)
		}
		var again State
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("re-read %s: %v", b, err)
		}
		if !sameBits(st.X, again.X) || !sameBits(st.V, again.V) {
			t.Fatalf("round trip changed the bits: %v → %v", st, again)
		}
	})
}

// Any float64s survive MarshalText and UnmarshalJSON bit for bit.
func FuzzFloatsText(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		xs := make(Floats, len(raw)/8)
		for i := range xs {
			var u uint64
			for k := range 8 {
				u |= uint64(raw[8*i+k]) << (8 * k)
			}
			xs[i] = math.Float64frombits(u)
		}
		text, err := xs.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Floats
		if err := got.UnmarshalJSON(append(append([]byte{'"'}, text...), '"')); err != nil {
			t.Fatalf("read back %s: %v", text, err)
		}
		if !sameBits(xs, got) {
			t.Fatalf("bits changed: %v → %v", xs, got)
		}
	})
}
