package codec_test

import (
	"fmt"
	"reflect"

	"github.com/burst-dev/burst/codec"
)

func Example() {
	type point struct{ X, Y int }
	b, _ := codec.JSON.Marshal(point{1, 2})
	var p point
	_ = codec.JSON.Unmarshal(b, &p)
	fmt.Println(string(b), p)
	// Output: {"X":1,"Y":2} {1 2}
}

// Check refuses, with the path to the culprit, a type whose values would not
// come back whole, such as the errgroup example's result with its
// unexported fields.
func ExampleCheck() {
	type result struct {
		path string
		sum  [16]byte
	}
	fmt.Println(codec.Check(reflect.TypeFor[result]()))
	// Output: codec_test.result.path: unexported field would be dropped
}

// Binary keeps what JSON loses: bytes that are not UTF-8, an int64 inside an
// interface.
func ExampleBinary() {
	in := []any{"caf\xe9", int64(1<<60 + 1)}
	b, _ := codec.Binary.Marshal(&in)
	var out []any
	_ = codec.Binary.Unmarshal(b, &out)
	fmt.Printf("%q %T %v\n", out[0], out[1], out[1])
	// Output: "caf\xe9" int64 1152921504606846977
}
