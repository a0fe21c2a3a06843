package codec_test

import (
	"fmt"

	"github.com/burst-dev/burst/pool/codec"
)

func Example() {
	type point struct{ X, Y int }
	b, _ := codec.JSON.Marshal(point{1, 2})
	var p point
	_ = codec.JSON.Unmarshal(b, &p)
	fmt.Println(string(b), p)
	// Output: {"X":1,"Y":2} {1 2}
}
