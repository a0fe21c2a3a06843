package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestPrintsEverySum(t *testing.T) {
	root := t.TempDir()
	want := map[string][md5.Size]byte{}
	for i := range 41 {
		path := filepath.Join(root, fmt.Sprintf("d%d", i%4), fmt.Sprintf("f%02d", i))
		data := bytes.Repeat([]byte{byte(i)}, 100*i)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		want[path] = md5.Sum(data)
	}
	got, err := MD5All(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var gb, wb bytes.Buffer
	report(&gb, got)
	report(&wb, want)
	if gb.String() != wb.String() || len(got) != 41 {
		t.Fatalf("got\n%s\nwant\n%s", gb.String(), wb.String())
	}
	if _, err := MD5All(context.Background(), filepath.Join(root, "missing")); err == nil {
		t.Fatal("no error for a missing root")
	}
}
