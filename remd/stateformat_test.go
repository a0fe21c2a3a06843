package remd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/remd/engine"
)

// testState has the values a state's form must keep bit for bit.
var testState = engine.State{
	X: engine.Floats{0, math.Copysign(0, -1), 1.5, math.Inf(-1), math.Float64frombits(0x7ff8000000000123), math.SmallestNonzeroFloat64},
	V: engine.Floats{-2.25, math.MaxFloat64},
}

const testKey = "remd/0123abcd/r000011/replica-0002.json"

func mustEncode(t testing.TB, key string, st engine.State) []byte {
	t.Helper()
	b, err := encodeState(key, st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A state's stored form keeps every bit, and is smaller than the JSON of
// earlier versions.
func TestStateFormat(t *testing.T) {
	b := mustEncode(t, testKey, testState)
	got, err := decodeState(testKey, b)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(got.X, testState.X) || !sameBits(got.V, testState.V) {
		t.Errorf("round trip: got %v, want %v", got, testState)
	}
	// Of a state of some size, where the header no longer counts.
	big := engine.State{X: make(engine.Floats, 300), V: make(engine.Floats, 300)}
	old, err := codec.JSON.Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mustEncode(t, testKey, big)); n >= len(old)*4/5 {
		t.Errorf("binary form %d bytes, JSON %d: want a fifth smaller at least", n, len(old))
	}
	empty, err := decodeState("k", mustEncode(t, "k", engine.State{}))
	if err != nil || len(empty.X) != 0 || len(empty.V) != 0 {
		t.Errorf("empty state: got %v, %v", empty, err)
	}
	if _, err := encodeState(strings.Repeat("k", maxStateKey+1), testState); err == nil {
		t.Error("encodeState with a key of 65536 bytes: nil error, want one")
	}
}

// States that earlier versions stored still read, unchecked, so that
// -resume continues the runs they checkpointed: the JSON of objectstore
// before the binary form, the v1 header with 32-bit counts and with the
// 64-bit counts of 82a1f50..bd0e310, and shared storage's codec.Binary of
// engine.State.
func TestStateFormatsOfEarlierVersions(t *testing.T) {
	v64 := func(st engine.State) []byte {
		b := []byte(stateMagicV1) // as 82a1f50's encodeState wrote it
		b = binary.LittleEndian.AppendUint64(b, uint64(len(st.X)))
		b = binary.LittleEndian.AppendUint64(b, uint64(len(st.V)))
		for _, xs := range [][]float64{st.X, st.V} {
			for _, x := range xs {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
			}
		}
		return b
	}
	forms := map[string]func(engine.State) []byte{
		"objectstore JSON": func(st engine.State) []byte { b, _ := codec.JSON.Marshal(st); return b },
		"v1, 32-bit counts": func(st engine.State) []byte {
			return appendStates([]byte(stateMagicV1), []engine.State{st})
		},
		"v1, 64-bit counts": v64,
		"shared codec.Binary": func(st engine.State) []byte {
			b, _ := codec.Binary.Marshal(&st)
			return b
		},
	}
	for name, form := range forms {
		for _, st := range []engine.State{testState, {X: engine.Floats{1, 2}}, {}} {
			b := form(st)
			got, err := decodeState(testKey, b)
			if err != nil || !sameBits(got.X, st.X) || !sameBits(got.V, st.V) {
				t.Errorf("%s: got %v, %v; want %v", name, got, err, st)
			}
		}
	}
}

// A stored state that is not the one stored under its key is refused with
// ErrDamagedState and what was wrong: any byte changed anywhere (header,
// numbers, checksum), cut short at any length, a byte added, another key's
// valid state, no state at all.
func TestDamagedStatesAreRefused(t *testing.T) {
	b := mustEncode(t, testKey, testState)
	refused := func(what string, bad []byte, want string) {
		t.Helper()
		_, err := decodeState(testKey, bad)
		if !errors.Is(err, ErrDamagedState) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want ErrDamagedState saying %q", what, err, want)
		}
	}
	for i := range b {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			bad := slices.Clone(b)
			bad[i] ^= flip
			want := "changed since it was written"
			switch {
			case i < len(stateMagic):
				want = "not a state"
			case i < len(stateMagic)+2:
				want = "header says" // the key's length
			case i >= len(stateMagic)+2+len(testKey) && i < len(stateMagic)+2+len(testKey)+8:
				want = "header says" // a count
			}
			refused(fmt.Sprintf("byte %d ^ %#x", i, flip), bad, want)
		}
	}
	for n := range len(b) {
		want := "cut short"
		if n < len(stateMagic) {
			want = "not a state"
		}
		refused("cut short", b[:n], want)
	}
	refused("a byte added", append(slices.Clone(b), 0), "header says")
	other := mustEncode(t, stateKey("0123abcd", 11, 3), testState)
	refused("another replica's state", other, `it is the state stored under "remd/0123abcd/r000011/replica-0003.json", not under "`+testKey+`"`)
	refused("an empty object", nil, "not a state")
	refused("text", []byte("x"), "not a state")
	refused("v1 state cut short", []byte(stateMagicV1+"\x01\x00\x00\x00"), "truncated")
	refused("JSON that is no state", []byte(`{"x":1}`), "floats")
	refused("shared codec.Binary cut short", []byte{1, 2}, "codec bin")
}

// A state read damaged once, as by a glitch on the way, is read again and
// taken when good; one damaged in the store is refused after two reads.
func TestStateReadTwiceBeforeRefused(t *testing.T) {
	good := mustEncode(t, testKey, testState)
	bad := slices.Clone(good)
	bad[len(bad)/2] ^= 1
	reads := 0
	st, err := loadState(testKey, func() ([]byte, error) {
		reads++
		if reads == 1 {
			return bad, nil
		}
		return good, nil
	})
	if err != nil || reads != 2 || !sameBits(st.X, testState.X) {
		t.Errorf("damaged once: got %v, %v after %d reads; want the state after 2", st, err, reads)
	}
	reads = 0
	_, err = loadState(testKey, func() ([]byte, error) { reads++; return bad, nil })
	if !errors.Is(err, ErrDamagedState) || reads != 2 || !strings.Contains(err.Error(), "load state "+testKey) ||
		!strings.Contains(err.Error(), "the damage is in the store") {
		t.Errorf("damaged in the store: err = %v after %d reads; want ErrDamagedState naming the key after 2", err, reads)
	}
	if bytes.Equal(good, bad) {
		t.Fatal("the damage changed nothing")
	}
}
