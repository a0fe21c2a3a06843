// Package codec encodes the values that cross a process boundary in burst: the
// inputs and outputs of pool calls and the values kept in shared state.
//
// Binary round-trips every value that Check accepts exactly (strings as bytes,
// integers inside interfaces, times with their zone, nil apart from empty) and
// is faster than JSON; JSON is what workers in other languages and every
// debugging tool can read; Gob is encoding/gob.
package codec

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// A Codec turns values into bytes and back. Implementations must be safe for
// concurrent use.
type Codec interface {
	// Name identifies the codec on the wire; it is stored next to every
	// encoded payload so a receiver can refuse a codec it does not know.
	Name() string
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// JSON encodes with encoding/json, for workers and readers in other
// languages. It is not exact: strings that are not UTF-8 become U+FFFD,
// integers in interfaces become float64, times lose their zone's name, and
// unexported fields are dropped. Binary is the default of pool and shared.
var JSON Codec = jsonCodec{}

// Gob encodes with encoding/gob.
var Gob Codec = gobCodec{}

// builtin is constant data, not a registry: user codecs are passed as values.
var builtin = map[string]Codec{"json": JSON, "gob": Gob, "bin": Binary}

// Lookup returns the built-in codec with the given name.
func Lookup(name string) (Codec, error) {
	if c, ok := builtin[name]; ok {
		return c, nil
	}
	names := make([]string, 0, len(builtin))
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("codec: unknown codec %q (known: %v)", name, names)
}

type jsonCodec struct{}

func (jsonCodec) Name() string { return "json" }

func (jsonCodec) Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("codec json: encode %T: %w", v, err)
	}
	return b, nil
}

func (jsonCodec) Unmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("codec json: decode into %s: %w", typeName(v), err)
	}
	return nil
}

type gobCodec struct{}

func (gobCodec) Name() string { return "gob" }

func (gobCodec) Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("codec gob: encode %T: %w", v, err)
	}
	return buf.Bytes(), nil
}

func (gobCodec) Unmarshal(data []byte, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return fmt.Errorf("codec gob: decode into %s: %w", typeName(v), err)
	}
	return nil
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().String()
	}
	return t.String()
}
