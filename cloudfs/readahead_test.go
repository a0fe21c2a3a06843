package cloudfs

import (
	"context"
	"fmt"
	"io/fs"
	"testing"
)

func TestWalkDirReadsAhead(t *testing.T) {
	fsys, err := Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	for d := range 20 {
		for i := range 3 {
			if err := fsys.WriteFile(fmt.Sprintf("d%02d/f%d", d, i), []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
	}
	files := 0
	err = fs.WalkDir(fsys, ".", func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return err
	})
	if err != nil || files != 60 {
		t.Fatalf("WalkDir = %d files, %v; want 60", files, err)
	}
	fsys.ra.mu.Lock()
	hits := fsys.ra.hits
	fsys.ra.mu.Unlock()
	// The first subdirectory is listed on demand; the other 19 can come
	// from read-ahead (all of them, unless a listing was still in flight
	// and was waited for, which also counts).
	if hits < 15 {
		t.Errorf("read-ahead listings taken = %d, want most of the 19 later siblings", hits)
	}
}
