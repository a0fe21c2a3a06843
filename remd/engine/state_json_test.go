package engine_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/burst-dev/burst/remd/engine"
)

func TestStateJSONRoundTripsEveryBit(t *testing.T) {
	in := engine.State{
		X: []float64{0, math.Copysign(0, -1), 1.0 / 3, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1)},
		V: []float64{},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out engine.State
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for i := range in.X {
		if math.Float64bits(in.X[i]) != math.Float64bits(out.X[i]) {
			t.Errorf("x[%d] = %v, want %v (bit for bit)", i, out.X[i], in.X[i])
		}
	}
	if out.V == nil || len(out.V) != 0 {
		t.Errorf("v = %#v, want empty and not nil", out.V)
	}
	var nils engine.State
	b, _ = json.Marshal(nils)
	if string(b) != `{"x":"","v":""}` {
		t.Errorf("zero state = %s", b)
	}
}

func TestStateJSONReadsPlainArrays(t *testing.T) {
	var s engine.State
	if err := json.Unmarshal([]byte(`{"x":[1,2.5],"v":[-3]}`), &s); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.X, engine.Floats{1, 2.5}) || !slices.Equal(s.V, engine.Floats{-3}) {
		t.Fatalf("got %+v", s)
	}
}

func TestStateJSONRejectsBadInput(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"x":"AAAA","v":null}`, "not a whole number of 8-byte float64s"},
		{`{"x":true}`, "want a base64 string"},
		{`{"x":"!!"}`, "illegal base64"},
		{`{"x":["a"]}`, `engine: floats`},
	} {
		var s engine.State
		err := json.Unmarshal([]byte(tc.in), &s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.in, err, tc.want)
		}
	}
}
