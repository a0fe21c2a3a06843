package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEFirstProgramCompiles builds the README's first program exactly
// as written: a reader who copies it gets a program, imports included.
func TestREADMEFirstProgramCompiles(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```go\n")
	src, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 || !strings.HasPrefix(src, "package main") {
		t.Fatalf("README's first Go block is not a whole program:\n%.300s", src)
	}
	// Inside the module (testdata is ignored by ./...), so its imports resolve.
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "readme-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir); os.Remove("testdata") })
	main := filepath.Join(dir, "main.go")
	if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "build", "-o", os.DevNull, "./"+main).CombinedOutput()
	if err != nil {
		t.Fatalf("go build of the README's first program: %v\n%s\n%s", err, out, src)
	}
}
