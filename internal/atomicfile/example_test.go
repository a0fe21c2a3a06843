package atomicfile_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/burst-dev/burst/internal/atomicfile"
)

func Example() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "results.csv")

	if err := atomicfile.WriteFile(path, []byte("round,energy\n1,-3.5\n"), 0o644); err != nil {
		fmt.Println(err)
	}
	// A writer that fails half-way leaves the previous file as it was.
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		io.WriteString(w, "round,energy\n1,")
		return fmt.Errorf("disk full")
	})
	fmt.Println(err != nil)
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output:
	// true
	// round,energy
	// 1,-3.5
}
