package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// Floats is a []float64 whose JSON form is a base64 string of its
// little-endian IEEE 754 bits. A state travels in every segment call and
// every checkpoint, and formatting and parsing decimal numbers cost fifty
// times more than this while being no more exact: the bits round-trip. It
// converts to and from []float64 without a cast.
type Floats []float64

// MarshalText is the base64 of the bits (a text marshaler, not a JSON one,
// so encoding/json copies the string without re-scanning it).
func (xs Floats) MarshalText() ([]byte, error) {
	raw := make([]byte, 0, 8*len(xs))
	for _, x := range xs {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(x))
	}
	return base64.StdEncoding.AppendEncode(nil, raw), nil
}

// UnmarshalJSON reads what MarshalText writes, and also a plain array of
// numbers, so a state can be written by hand or by another program.
func (xs *Floats) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case string(data) == "null":
		*xs = nil
		return nil
	case len(data) > 0 && data[0] == '[':
		var fs []float64
		if err := json.Unmarshal(data, &fs); err != nil {
			return fmt.Errorf("engine: floats: %w", err)
		}
		*xs = fs
		return nil
	case len(data) < 2 || data[0] != '"':
		return fmt.Errorf("engine: floats are %.20s…: want a base64 string of little-endian float64s or an array of numbers", data)
	}
	var bits []byte
	// encoding/json hands over a whole JSON string; without escapes, which
	// is what MarshalText writes, the base64 is decoded in place.
	if body := data[1 : len(data)-1]; bytes.IndexByte(body, '\\') < 0 {
		var err error
		if bits, err = base64.StdEncoding.AppendDecode(nil, body); err != nil {
			return fmt.Errorf("engine: floats: %w", err)
		}
	} else if err := json.Unmarshal(data, &bits); err != nil {
		return fmt.Errorf("engine: floats: %w", err)
	}
	if len(bits)%8 != 0 {
		return fmt.Errorf("engine: floats: %d bytes is not a whole number of 8-byte float64s", len(bits))
	}
	out := make(Floats, len(bits)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(bits[8*i:]))
	}
	*xs = out
	return nil
}
