package codec_test

import (
	"math"
	"strings"
	"testing"

	"github.com/burst-dev/burst/codec"
)

func TestRoundTrip(t *testing.T) {
	type rec struct {
		Name string
		X    []float64
	}
	for _, c := range []codec.Codec{codec.JSON, codec.Gob} {
		in := rec{"a", []float64{1.5, -2, math.SmallestNonzeroFloat64, math.MaxFloat64}}
		b, err := c.Marshal(in)
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		var out rec
		if err := c.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		for i := range in.X {
			if math.Float64bits(in.X[i]) != math.Float64bits(out.X[i]) {
				t.Fatalf("%s: X[%d] = %v, want bit-identical %v", c.Name(), i, out.X[i], in.X[i])
			}
		}
	}
}

func TestLookup(t *testing.T) {
	if c, err := codec.Lookup("gob"); err != nil || c.Name() != "gob" {
		t.Fatalf("Lookup(gob) = %v, %v", c, err)
	}
	_, err := codec.Lookup("xml")
	if err == nil || !strings.Contains(err.Error(), "json") || !strings.Contains(err.Error(), "xml") {
		t.Fatalf("Lookup(xml) error = %v, want it to name the codec and list the known ones", err)
	}
}

func TestDecodeErrorNamesType(t *testing.T) {
	var x int
	err := codec.JSON.Unmarshal([]byte(`"seven"`), &x)
	if err == nil || !strings.Contains(err.Error(), "int") {
		t.Fatalf("err = %v, want it to name the target type", err)
	}
}
