package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestFindsAndDeletesDuplicates(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{"a/1": "x", "a/2": "x", "b/1": "x", "c": "y", "d/e/f": "y", "g": "z"}
	for name, data := range files {
		path := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := func(name string) string { return filepath.Join(root, name) }
	want := p("a/2") + "  same as  " + p("a/1") + "\n" +
		p("b/1") + "  same as  " + p("a/1") + "\n" +
		p("d/e/f") + "  same as  " + p("c") + "\n"
	var out bytes.Buffer
	if err := run(context.Background(), root, true, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	if err := run(context.Background(), root, false, &out); err != nil || out.Len() != 0 {
		t.Fatalf("second run after -delete: %q, %v; want no duplicates", out.String(), err)
	}
}
