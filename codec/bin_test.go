package codec_test

import (
	"math"
	"math/big"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/burst-dev/burst/codec"
)

type inner struct {
	S  string
	B  []byte
	P  **int
	M  map[string]any
	Xs []float64
}

type outer struct {
	Name   string
	Any    any
	Anys   []any
	In     inner
	Ptr    *inner
	Nil    *inner
	Arr    [3]int8
	T      time.Time
	D      time.Duration
	C      complex128
	F32    float32
	U      uint64
	Big    *big.Int
	Addr   netip.Addr
	Empty  []int
	NilS   []int
	NilM   map[int]string
	Nested map[[2]string][]*int
	_      int
}

type owner struct {
	Host string
	PID  int
}

// lease embeds an unexported struct type whose fields are exported: they
// are promoted, and must travel.
type lease struct {
	owner
	Token string
}

type tree struct {
	Val  int
	Kids []*tree
}

// roundTrip encodes and decodes v with Binary and fails unless the result
// is deeply equal.
func roundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := codec.Binary.Marshal(&v)
	if err != nil {
		t.Fatalf("Marshal(%#v): %v", v, err)
	}
	var got T
	if err := codec.Binary.Unmarshal(b, &got); err != nil {
		t.Fatalf("Unmarshal(%#v): %v", v, err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, v)
	}
	return got
}

func TestBinaryRoundTripsExactly(t *testing.T) {
	n := 7
	pn := &n
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no zone database:", err) // never on CI: Go embeds none, but Debian has tzdata
	}
	v := outer{
		Name:  "caf\xe9.txt", // Latin-1, not UTF-8: must stay these bytes
		Any:   int64(1<<60 + 1),
		Anys:  []any{uint8(3), float32(1.5), "x\xff", nil, []byte{0, 1}, map[string]any{"k": int16(-2)}, time.Duration(5)},
		In:    inner{S: "\x00\xfe", B: []byte{}, P: &pn, M: map[string]any{"a": 1, "b": []any{true}}, Xs: []float64{math.NaN(), math.Inf(-1), -0.0, math.SmallestNonzeroFloat64}},
		Ptr:   &inner{S: "p"},
		Arr:   [3]int8{-128, 0, 127},
		T:     time.Date(2026, 3, 29, 1, 59, 59, 999999999, time.UTC),
		D:     -time.Hour,
		C:     complex(math.MaxFloat64, -1),
		F32:   float32(math.Pi),
		U:     math.MaxUint64,
		Big:   new(big.Int).Lsh(big.NewInt(3), 200),
		Addr:  netip.MustParseAddr("fe80::1%eth0"),
		Empty: []int{},
		Nested: map[[2]string][]*int{
			{"a", "b"}: {pn, nil},
		},
	}
	b, err := codec.Binary.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	var got outer
	if err := codec.Binary.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	// NaN != NaN for DeepEqual: compare the floats by bits, then the rest.
	for i := range v.In.Xs {
		if math.Float64bits(got.In.Xs[i]) != math.Float64bits(v.In.Xs[i]) {
			t.Errorf("Xs[%d] bits %x, want %x", i, math.Float64bits(got.In.Xs[i]), math.Float64bits(v.In.Xs[i]))
		}
	}
	got.In.Xs, v.In.Xs = nil, nil
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, v)
	}
	if got.Empty == nil || got.NilS != nil || got.NilM != nil || got.In.B == nil {
		t.Errorf("nil and empty not kept apart: Empty=%#v NilS=%#v NilM=%#v B=%#v", got.Empty, got.NilS, got.NilM, got.In.B)
	}
	if _, ok := got.Any.(int64); !ok {
		t.Errorf("Any is a %T, want int64", got.Any)
	}

	at := time.Date(2026, 7, 14, 12, 0, 0, 5, paris)
	gt := roundTripTime(t, at)
	if !gt.Equal(at) || gt.Location().String() != "Europe/Paris" {
		t.Errorf("time = %v in %q, want %v in Europe/Paris", gt, gt.Location(), at)
	}
	fixed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("XYZ", 3600+1800))
	gf := roundTripTime(t, fixed)
	if name, off := gf.Zone(); name != "XYZ" || off != 5400 || !gf.Equal(fixed) {
		t.Errorf("fixed zone came back as %s %d", name, off)
	}

	roundTrip(t, lease{owner{"h", 42}, "tok"})
	roundTrip(t, &tree{Val: 1, Kids: []*tree{{Val: 2}, nil, {Val: 3, Kids: []*tree{}}}})
	roundTrip[any](t, int64(1<<60+1))
	roundTrip[any](t, nil)
	roundTrip(t, "")
	roundTrip(t, map[string]int(nil))
}

func TestCheckNamesTheTypePath(t *testing.T) {
	type result struct {
		path string
		sum  [16]byte
	}
	type job struct {
		Name string
		Out  chan int
	}
	type withFunc struct{ Items []struct{ F func() } }
	type withErr struct{ Err error }
	type shape interface{ Area() float64 }
	type withIface struct{ M map[string]shape }
	type withUnsafe struct{ P unsafe.Pointer }
	for _, c := range []struct {
		v    any
		want string
	}{
		{result{}, "codec_test.result.path: unexported field would be dropped"},
		{&job{}, "*codec_test.job.Out: chan int cannot be encoded"},
		{withFunc{}, "codec_test.withFunc.Items[].F: func() cannot be encoded"},
		{withErr{}, "codec_test.withErr.Err: an error value cannot be restored"},
		{withIface{}, "codec_test.withIface.M[]: no registered type implements interface codec_test.shape"},
		{withUnsafe{}, "codec_test.withUnsafe.P: unsafe.Pointer cannot be encoded"},
	} {
		err := codec.Check(reflect.TypeOf(c.v))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%T) = %v, want %q", c.v, err, c.want)
		}
		if _, err := codec.Binary.Marshal(c.v); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "*")) {
			t.Errorf("Marshal(%T) = %v, want it refused with %q", c.v, err, c.want)
		}
	}
	for _, v := range []any{outer{}, tree{}, time.Time{}, big.Int{}, netip.Addr{}, struct{}{}, []any{}} {
		if err := codec.Check(reflect.TypeOf(v)); err != nil {
			t.Errorf("Check(%T) = %v, want nil", v, err)
		}
	}
}

type unregistered struct{ X int }

func TestUnregisteredInInterfaceFailsLoudly(t *testing.T) {
	v := []any{unregistered{1}}
	_, err := codec.Binary.Marshal(&v)
	if err == nil || !strings.Contains(err.Error(), "codec.Register") {
		t.Fatalf("Marshal = %v, want an error telling to register the type", err)
	}
}

type registered struct{ X int }

var _ = codec.Register(registered{})

func TestRegisteredInInterface(t *testing.T) {
	got := roundTrip[any](t, registered{X: 4})
	if _, ok := got.(registered); !ok {
		t.Fatalf("got %T", got)
	}
}

func TestBinaryRefusesCorruptPayloads(t *testing.T) {
	v := outer{Name: "x", Anys: []any{1, "two"}, In: inner{Xs: []float64{1, 2}}}
	b, err := codec.Binary.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(b) - 1 {
		var got outer
		if err := codec.Binary.Unmarshal(b[:i], &got); err == nil {
			t.Fatalf("Unmarshal of the first %d of %d bytes succeeded", i, len(b))
		}
	}
	var got outer
	if err := codec.Binary.Unmarshal(append(b, 0), &got); err == nil || !strings.Contains(err.Error(), "left over") {
		t.Fatalf("trailing byte: %v", err)
	}
	if err := codec.Binary.Unmarshal([]byte(`{"Name":"x"}`), &got); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("JSON payload: %v", err)
	}
}

func FuzzBinaryUnmarshal(f *testing.F) {
	v := outer{Name: "x", Anys: []any{1, "two", 2.5}, In: inner{Xs: []float64{1, 2}, M: map[string]any{"k": nil}}}
	b, _ := codec.Binary.Marshal(&v)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var got outer
		if codec.Binary.Unmarshal(data, &got) != nil {
			return
		}
		// Whatever decoded must encode again and decode to the same.
		b, err := codec.Binary.Marshal(&got)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again outer
		if err := codec.Binary.Unmarshal(b, &again); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// roundTripTime is roundTrip for times, whose locations are compared by
// name and offset: a zone loaded twice is two pointers.
func roundTripTime(t *testing.T, v time.Time) time.Time {
	t.Helper()
	b, err := codec.Binary.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	var got time.Time
	if err := codec.Binary.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	return got
}
