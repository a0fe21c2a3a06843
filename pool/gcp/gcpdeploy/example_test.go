package gcpdeploy_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/burst-dev/burst/pool/gcp/gcpdeploy"
)

// Source turns a program's module into a function source: the module under
// src/, the main package as package burstfn, and an entry file.
func ExampleSource() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/app\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	src, err := gcpdeploy.Source(dir, ".")
	if err != nil {
		fmt.Println(err)
		return
	}
	zr, _ := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	for _, f := range zr.File {
		fmt.Println(f.Name)
	}
	// Output:
	// src/go.mod
	// src/main.go
	// main_main.go
	// go.mod
	// burstfn.go
}
