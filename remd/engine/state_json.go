package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// MarshalJSON writes X and V as base64 strings of their little-endian IEEE
// 754 bits: {"x":"…","v":"…"}. A state travels in every pool call and every
// checkpoint, and formatting and parsing decimal numbers cost fifty times
// more than this while being no more exact; the bits round-trip exactly.
func (s State) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 16+base64.StdEncoding.EncodedLen(8*(len(s.X)+len(s.V))))
	b = append(b, `{"x":`...)
	b = appendFloats(b, s.X)
	b = append(b, `,"v":`...)
	b = appendFloats(b, s.V)
	return append(b, '}'), nil
}

func appendFloats(b []byte, xs []float64) []byte {
	if xs == nil {
		return append(b, "null"...)
	}
	raw := make([]byte, 0, 8*len(xs))
	for _, x := range xs {
		raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(x))
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, raw)
	return append(b, '"')
}

// UnmarshalJSON reads what MarshalJSON writes, and also plain arrays of
// numbers, so a state can be written by hand or by another program.
func (s *State) UnmarshalJSON(data []byte) error {
	var raw struct {
		X json.RawMessage `json:"x"`
		V json.RawMessage `json:"v"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("engine: state: %w", err)
	}
	x, err := parseFloats("x", raw.X)
	if err != nil {
		return err
	}
	v, err := parseFloats("v", raw.V)
	if err != nil {
		return err
	}
	s.X, s.V = x, v
	return nil
}

func parseFloats(field string, raw json.RawMessage) ([]float64, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, nil
	case raw[0] == '[':
		var xs []float64
		if err := json.Unmarshal(raw, &xs); err != nil {
			return nil, fmt.Errorf("engine: state field %q: %w", field, err)
		}
		return xs, nil
	case raw[0] != '"':
		return nil, fmt.Errorf("engine: state field %q is %.20s…: want a base64 string of little-endian float64s or an array of numbers", field, raw)
	}
	var bits []byte
	// raw is a whole JSON string here: the outer Unmarshal checked it.
	if body := raw[1 : len(raw)-1]; bytes.IndexByte(body, '\\') < 0 {
		// What MarshalJSON writes: decode the base64 in place.
		var err error
		if bits, err = base64.StdEncoding.AppendDecode(nil, body); err != nil {
			return nil, fmt.Errorf("engine: state field %q: %w", field, err)
		}
	} else if err := json.Unmarshal(raw, &bits); err != nil {
		return nil, fmt.Errorf("engine: state field %q: %w", field, err)
	}
	if len(bits)%8 != 0 {
		return nil, fmt.Errorf("engine: state field %q holds %d bytes, not a whole number of 8-byte float64s", field, len(bits))
	}
	xs := make([]float64, len(bits)/8)
	for i := range xs {
		xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(bits[8*i:]))
	}
	return xs, nil
}
