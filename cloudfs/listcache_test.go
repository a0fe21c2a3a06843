package cloudfs

import (
	"context"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// tree opens a mem:// FS holding dirs directories d00, d01, … of files
// files each.
func tree(t *testing.T, dirs, files int) *FS {
	t.Helper()
	fsys, err := Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	ctx := context.Background()
	for d := range dirs {
		for i := range files {
			if err := fsys.b.WriteAll(ctx, fmt.Sprintf("d%02d/f%04d", d, i), []byte("x"), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	return fsys
}

func walkFiles(t *testing.T, fsys fs.FS) int {
	t.Helper()
	files := 0
	err := fs.WalkDir(fsys, ".", func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return err
	})
	if err != nil {
		t.Fatalf("WalkDir: %v", err)
	}
	return files
}

func (c *listCache) stats() (hits int, scans []*scan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, slices.Clone(c.scans)
}

func TestWalkDirIsOneScan(t *testing.T) {
	fsys := tree(t, 20, 3)
	if got := walkFiles(t, fsys); got != 60 {
		t.Fatalf("WalkDir visited %d files, want 60", got)
	}
	// The root's scan fits one page, so every ReadDir, the root's too,
	// comes from it.
	if hits, scans := fsys.lc.stats(); hits != 21 || len(scans) != 1 {
		t.Errorf("listings from scans = %d in %d scans, want 21 in 1", hits, len(scans))
	}
}

func TestWalkDirLargeTreeStaysBounded(t *testing.T) {
	// 30 000 keys: the scan must run ahead of the walk, drop what it
	// passed, and still answer nearly every ReadDir.
	fsys := tree(t, 30, 1000)
	var peak int
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
			_, scans := fsys.lc.stats()
			fsys.lc.mu.Lock()
			for _, s := range scans {
				mu.Lock()
				peak = max(peak, len(s.keys))
				mu.Unlock()
			}
			fsys.lc.mu.Unlock()
		}
	}()
	got := walkFiles(t, fsys)
	close(done)
	if got != 30000 {
		t.Fatalf("WalkDir visited %d files, want 30000", got)
	}
	hits, _ := fsys.lc.stats()
	if hits < 30 {
		t.Errorf("listings from scans = %d, want the 30 subdirectories at least", hits)
	}
	mu.Lock()
	defer mu.Unlock()
	if limit := 2*scanAhead + 2*1000 + scanPage; peak > limit {
		t.Errorf("a scan held %d keys, want at most %d", peak, limit)
	}
}

func TestReadDirAloneListsTwoPages(t *testing.T) {
	fsys := tree(t, 30, 1000)
	ents, err := fsys.ReadDir(".")
	if err != nil || len(ents) != 30 {
		t.Fatalf("ReadDir(.) = %d entries, %v; want 30", len(ents), err)
	}
	time.Sleep(50 * time.Millisecond) // a runaway scan would list on
	_, scans := fsys.lc.stats()
	fsys.lc.mu.Lock()
	defer fsys.lc.mu.Unlock()
	for _, s := range scans {
		if s.fetched > 2*scanPage {
			t.Errorf("scan of %q listed %d keys after one ReadDir, want at most %d", s.prefix, s.fetched, 2*scanPage)
		}
	}
}

func TestScanNeverHidesWrites(t *testing.T) {
	fsys := tree(t, 3, 2)
	now := time.Now()
	fsys.lc.now = func() time.Time { return now }
	names := func(dir string) []string {
		ents, err := fsys.ReadDir(dir)
		if err != nil {
			t.Fatalf("ReadDir(%s): %v", dir, err)
		}
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	tests := []struct {
		name  string
		write func() error
		want  []string // of d01 after the write
	}{
		{"own write", func() error { return fsys.WriteFile("d01/own", nil) }, []string{"f0000", "f0001", "own"}},
		{"own remove", func() error { return fsys.Remove("d01/own") }, []string{"f0000", "f0001"}},
		{"other writer, after scanTTL", func() error {
			now = now.Add(scanTTL)
			return fsys.b.WriteAll(context.Background(), "d01/other", nil, nil)
		}, []string{"f0000", "f0001", "other"}},
	}
	for _, tt := range tests {
		names(".")
		names("d00") // a walk step: d01 is ready in the scan
		if err := tt.write(); err != nil {
			t.Fatal(err)
		}
		if got := names("d01"); !slices.Equal(got, tt.want) {
			t.Errorf("%s: ReadDir(d01) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCloseEndsScans(t *testing.T) {
	fsys := tree(t, 30, 100)
	before := runtime.NumGoroutine()
	if _, err := fsys.ReadDir("."); err != nil { // leaves a scan waiting for a walk
		t.Fatal(err)
	}
	if err := fsys.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(scanTTL / 2)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("goroutines after Close = %d, want at most the %d before ReadDir", n, before)
	}
}
