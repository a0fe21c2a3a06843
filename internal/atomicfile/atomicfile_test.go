package atomicfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/burst-dev/burst/internal/atomicfile"
)

// only checks that dir holds exactly the files named, so no temporary file
// stayed behind.
func only(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if fmt.Sprint(got) != fmt.Sprint(names) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	for _, content := range []string{"first\n", "second, longer\n", ""} {
		if err := atomicfile.WriteFile(path, []byte(content), 0o640); err != nil {
			t.Fatalf("WriteFile(%q): %v", content, err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != content {
			t.Errorf("after WriteFile(%q): read %q, %v", content, b, err)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, %v; want 0640", fi.Mode(), err)
	}
	only(t, dir, "f.json")
}

func TestSyncFalseStillReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := atomicfile.WriteFile(path, []byte("new"), 0o644, atomicfile.Sync(false)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("read %q, want new", b)
	}
	only(t, dir, "f")
}

// A write that fails half-way (a full disk; here fill's own error) leaves
// the old file whole and no temporary file, and says which file it was.
func TestFailedWriteKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.csv")
	os.WriteFile(path, []byte("previous\n"), 0o644)
	full := errors.New("no space left on device")
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half a ")
		return full
	})
	if !errors.Is(err, full) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("err = %v, want fill's error naming %s and no temporary file", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != "previous\n" {
		t.Errorf("after a failed write: %q, want the previous content", b)
	}
	only(t, dir, "results.csv")
}

func TestPanicInFillLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	os.WriteFile(path, []byte("old"), 0o644)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic of fill did not reach the caller")
			}
		}()
		atomicfile.Write(path, 0o644, func(w io.Writer) error {
			io.WriteString(w, "partial")
			panic("fill")
		})
	}()
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after a panic: %q, want old", b)
	}
	only(t, dir, "f")
}

// A rename that fails (the target is a directory) removes the temporary
// file and names the target.
func TestFailedRenameLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d")
	os.MkdirAll(filepath.Join(path, "inner"), 0o755)
	err := atomicfile.WriteFile(path, []byte("x"), 0o644)
	var pe *fs.PathError
	if err == nil || !errors.As(err, &pe) || pe.Path != path {
		t.Errorf("err = %v, want an *fs.PathError naming %s", err, path)
	}
	only(t, dir, "d")
}

func TestMissingDirectoryNamesTheTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "f")
	err := atomicfile.WriteFile(path, []byte("x"), 0o644)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("err = %v, want fs.ErrNotExist naming %s", err, path)
	}
}

// An error of fill about another file (its input, say) keeps that file's
// name.
func TestFillErrorKeepsItsOwnPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	in := filepath.Join(dir, "input.csv")
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := os.ReadFile(in)
		return err
	})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), in) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want one naming both %s and %s", err, path, in)
	}
}

// Two writers replacing the same file at once never clash: every read, and
// the file at the end, is one writer's content whole.
func TestConcurrentWritersLeaveWholeFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	const size = 256 << 10
	contents := [][]byte{bytes.Repeat([]byte("a"), size), bytes.Repeat([]byte("b"), size)}
	whole := func(b []byte) bool {
		return bytes.Equal(b, contents[0]) || bytes.Equal(b, contents[1])
	}
	if err := atomicfile.WriteFile(path, contents[0], 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, c := range contents {
		wg.Go(func() {
			for range 50 {
				if err := atomicfile.WriteFile(path, c, 0o644, atomicfile.Sync(false)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	reads := 0
	for running := true; running; reads++ {
		select {
		case <-done:
			running = false
		default:
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read while two writers replace it: %v", err)
		}
		if !whole(b) {
			t.Fatalf("read %d bytes that are not one writer's whole content", len(b))
		}
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if b, _ := os.ReadFile(path); !whole(b) {
		t.Errorf("the file after both writers: %d bytes, not one writer's whole content", len(b))
	}
	only(t, dir, "f")
}
