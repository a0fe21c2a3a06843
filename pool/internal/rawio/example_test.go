package rawio_test

import (
	"fmt"
	"io"
	"os"

	"github.com/burst-dev/burst/pool/internal/rawio"
)

func ExampleStream() {
	pr, pw, _ := os.Pipe()
	r, _ := rawio.Stream(pr)
	_, w := rawio.Stream(pw)
	go func() { w.Write([]byte("frame")); pw.Close() }()
	b, _ := io.ReadAll(r)
	fmt.Println(string(b))
	// Output: frame
}
