// Package cloudfstest is the conformance suite of cloudfs: the definition of
// what every driver (mem, file, S3, GCS, Azure Blob) must do. A driver's test
// calls Run with a harness that opens an empty file system:
//
//	func TestConformance(t *testing.T) {
//		srv := testenv.StartS3(t)
//		base := srv.BucketURL(t, "conformance")
//		cloudfstest.Run(t, cloudfstest.Harness{
//			Open: func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) },
//		})
//	}
//
// The suite runs testing/fstest.TestFS on a populated tree, then every write
// operation, every error kind, range reads, empty files, deep trees, names
// with spaces and non-ASCII letters, a directory of 1 000 entries and a
// 64 MiB streaming write.
package cloudfstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/burst-dev/burst/cloudfs"
	"golang.org/x/sync/errgroup"
)

// Harness builds file systems for the suite.
type Harness struct {
	// Open returns an empty file system that the test may fill; the
	// harness closes it when the test ends.
	Open func(t *testing.T) *cloudfs.FS
	// SkipLarge skips the 64 MiB streaming write, to keep the suite's
	// run time down on drivers that another run already covers.
	SkipLarge bool
}

var prefixSeq atomic.Int64

// OpenPrefix opens base (a bucket URL) rooted at a fresh prefix, so each
// test starts empty, and closes it when the test ends.
func OpenPrefix(t *testing.T, base string) *cloudfs.FS {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("OpenPrefix(%q): %v", base, err)
	}
	q := u.Query()
	q.Set("prefix", fmt.Sprintf("t%d-%d/", time.Now().UnixNano(), prefixSeq.Add(1)))
	u.RawQuery = q.Encode()
	fsys, err := cloudfs.Open(context.Background(), u.String())
	if err != nil {
		t.Fatalf("cloudfs.Open(%q): %v", u, err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

// Run runs the whole suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, *cloudfs.FS)
	}{
		{"FSTest", testFSTest},
		{"StatAndModes", testStatAndModes},
		{"ReadDirUsesListing", testReadDirListing},
		{"WalkSeesOwnWrites", testWalkSeesWrites},
		{"WalkOverManyPages", testWalkManyPages},
		{"WriteFileOverwrites", testWriteFileOverwrites},
		{"WriteFileSizes", testWriteFileSizes},
		{"CreateVisibleOnlyAfterClose", testCreateVisibility},
		{"WriterAbortKeepsOld", testWriterAbort},
		{"WriterClosedErrors", testWriterClosed},
		{"EmptyFiles", testEmptyFiles},
		{"Remove", testRemove},
		{"RemoveAll", testRemoveAll},
		{"RemoveFiles", testRemoveFiles},
		{"CreateExclusive", testCreateExclusive},
		{"RenameFile", testRenameFile},
		{"RenameDir", testRenameDir},
		{"RenameEdgeCases", testRenameEdgeCases},
		{"MkdirAll", testMkdirAll},
		{"ErrorKinds", testErrorKinds},
		{"InvalidNames", testInvalidNames},
		{"RangeReads", testRangeReads},
		{"SeekAndRead", testSeekAndRead},
		{"FileReadsOpenedVersion", testOpenedVersion},
		{"ReadPastFirstMiB", testReadPastFirstMiB},
		{"DeepTree", testDeepTree},
		{"UnusualNames", testUnusualNames},
		{"Sub", testSub},
		{"Glob", testGlob},
		{"ContextCancel", testContext},
		{"As", testAs},
		{"ThousandEntryDir", testThousand},
		{"StreamingWrite64MiB", testLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "StreamingWrite64MiB" && (h.SkipLarge || testing.Short()) {
				t.Skip("large write covered by another driver's run (or -short)")
			}
			tc.fn(t, h.Open(t))
		})
	}
}

func write(t *testing.T, fsys *cloudfs.FS, files map[string]string) {
	t.Helper()
	var g errgroup.Group
	g.SetLimit(16)
	for name, data := range files {
		g.Go(func() error { return fsys.WriteFile(name, []byte(data)) })
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
}

// settleTimes rewrites files whose time in their directory's listing
// differs from the time Stat reports, until none does. gofakes3 takes the
// two from two clocks (the start and the end of the PUT), so on a loaded
// machine a write that straddles a second disagrees with itself, which
// fstest.TestFS would rightly report; the services do not do this, and
// cloudfs reports what the server says.
func settleTimes(t *testing.T, fsys *cloudfs.FS, files map[string]string) {
	t.Helper()
	for round := 0; ; round++ {
		var skewed []string
		for name := range files {
			fi, err := fsys.Stat(name)
			if err != nil {
				t.Fatalf("Stat(%q): %v", name, err)
			}
			ents, err := fsys.ReadDir(path.Dir(name))
			if err != nil {
				t.Fatalf("ReadDir(%q): %v", path.Dir(name), err)
			}
			for _, e := range ents {
				if e.Name() == path.Base(name) {
					if info, err := e.Info(); err == nil && !info.ModTime().Equal(fi.ModTime()) {
						skewed = append(skewed, name)
					}
				}
			}
		}
		if len(skewed) == 0 {
			return
		}
		if round == 5 {
			t.Fatalf("listing and Stat disagree on the times of %q after 5 rewrites", skewed)
		}
		for _, name := range skewed {
			if err := fsys.WriteFile(name, []byte(files[name])); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func wantContent(t *testing.T, fsys fs.FS, name, want string) {
	t.Helper()
	got, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("ReadFile(%q): %v", name, err)
	}
	if string(got) != want {
		t.Fatalf("ReadFile(%q) = %q, want %q", name, got, want)
	}
}

func wantErr(t *testing.T, what string, err, kind error, op, name string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: err = %v, want errors.Is(err, %v)", what, err, kind)
	}
	wantOSHelpers(t, what, err, kind)
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: err = %T %v, want *fs.PathError", what, err, err)
	}
	if op != "" && pe.Op != op {
		t.Errorf("%s: PathError.Op = %q, want %q", what, pe.Op, op)
	}
	if pe.Path != name {
		t.Errorf("%s: PathError.Path = %q, want %q", what, pe.Path, name)
	}
}

// wantOSHelpers checks that the old os helpers agree with errors.Is, as
// they do for os's own errors (they look only one *fs.PathError or
// *os.LinkError deep).
func wantOSHelpers(t *testing.T, what string, err, kind error) {
	t.Helper()
	if errors.Is(kind, fs.ErrNotExist) && !os.IsNotExist(err) {
		t.Errorf("%s: os.IsNotExist(%v) = false, want true", what, err)
	}
	if errors.Is(kind, fs.ErrExist) && !os.IsExist(err) {
		t.Errorf("%s: os.IsExist(%v) = false, want true", what, err)
	}
	if errors.Is(err, fs.ErrNotExist) && errors.Is(err, fs.ErrExist) {
		t.Errorf("%s: %v matches both fs.ErrNotExist and fs.ErrExist", what, err)
	}
}

// wantLinkErr checks a Rename error: an *os.LinkError, as os.Rename gives.
func wantLinkErr(t *testing.T, what string, err, kind error, oldname, newname string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: err = %v, want errors.Is(err, %v)", what, err, kind)
	}
	wantOSHelpers(t, what, err, kind)
	var le *os.LinkError
	if !errors.As(err, &le) {
		t.Fatalf("%s: err = %T %v, want *os.LinkError", what, err, err)
	}
	if le.Op != "rename" || le.Old != oldname || le.New != newname {
		t.Errorf("%s: LinkError = %q %q %q, want rename %q %q", what, le.Op, le.Old, le.New, oldname, newname)
	}
}

// readDirMissingOrEmpty checks that directory name has no entries: a
// prefix with no keys is a missing directory, the root of a whole bucket
// an empty one.
func readDirMissingOrEmpty(t *testing.T, fsys fs.FS, name string) {
	t.Helper()
	ents, err := fs.ReadDir(fsys, name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadDir(%q) = %v, want no entries or fs.ErrNotExist", name, err)
	}
	if len(ents) != 0 {
		t.Fatalf("ReadDir(%q) = %d entries, want none", name, len(ents))
	}
}

func wantNotExist(t *testing.T, fsys fs.FS, name string) {
	t.Helper()
	_, err := fs.Stat(fsys, name)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat(%q) after removal: err = %v, want fs.ErrNotExist", name, err)
	}
}

func readDirNames(t *testing.T, fsys fs.FS, name string) []string {
	t.Helper()
	ents, err := fs.ReadDir(fsys, name)
	if err != nil {
		t.Fatalf("ReadDir(%q): %v", name, err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	return names
}

var tree = map[string]string{
	"hello.txt":                "hello, world\n",
	"empty":                    "",
	"dir/a.txt":                "a",
	"dir/b.txt":                "bb",
	"dir/sub/c.txt":            "ccc",
	"dir/sub/deeper/d.txt":     "dddd",
	"with space/file one.txt":  "spaces",
	"unicode/naïve-日本語.txt":    "ünïcödé",
	"other/x.bin":              string(bytes.Repeat([]byte{0, 1, 2, 3, 255}, 3000)),
	"z/last":                   "z",
	"dir2/only-child/leaf.dat": strings.Repeat("leaf", 100),
}

func testFSTest(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, tree)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range tree {
			if !yield(n) {
				return
			}
		}
	})
	settleTimes(t, fsys, tree)
	if err := fstest.TestFS(fsys, names...); err != nil {
		t.Fatal(err)
	}
}

func testStatAndModes(t *testing.T, fsys *cloudfs.FS) {
	before := time.Now().Add(-2 * time.Minute)
	write(t, fsys, map[string]string{"d/f.txt": "12345"})
	after := time.Now().Add(2 * time.Minute)

	fi, err := fsys.Stat("d/f.txt")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if fi.Name() != "f.txt" || fi.Size() != 5 || !fi.Mode().IsRegular() || fi.IsDir() {
		t.Errorf("Stat(file) = name %q size %d mode %v, want f.txt 5 regular", fi.Name(), fi.Size(), fi.Mode())
	}
	if mt := fi.ModTime(); mt.Before(before) || mt.After(after) {
		t.Errorf("ModTime = %v, want within two minutes of now", mt)
	}
	di, err := fsys.Stat("d")
	if err != nil {
		t.Fatalf("Stat(dir): %v", err)
	}
	if di.Name() != "d" || !di.IsDir() || di.Mode().Type() != fs.ModeDir {
		t.Errorf("Stat(dir) = name %q mode %v, want d, a directory", di.Name(), di.Mode())
	}
	root, err := fsys.Stat(".")
	if err != nil || !root.IsDir() {
		t.Errorf("Stat(.) = %v, %v; want a directory", root, err)
	}
	f, err := fsys.Open("d/f.txt")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	ofi, _ := f.Stat()
	if ofi.Size() != 5 || !ofi.Mode().IsRegular() || !ofi.ModTime().Equal(fi.ModTime()) {
		t.Errorf("File.Stat = %v %v %v, want the FS.Stat answer", ofi.Size(), ofi.Mode(), ofi.ModTime())
	}
}

func testReadDirListing(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, map[string]string{"b": "1", "a/x": "22", "a/y/z": "333", "c d": "4444"})
	got := readDirNames(t, fsys, ".")
	want := []string{"a/", "b", "c d"}
	if !slices.Equal(got, want) {
		t.Fatalf("ReadDir(.) = %q, want %q", got, want)
	}
	ents, _ := fs.ReadDir(fsys, "a")
	if len(ents) != 2 {
		t.Fatalf("ReadDir(a) = %d entries, want 2", len(ents))
	}
	info, err := ents[0].Info()
	if err != nil || info.Size() != 2 || info.ModTime().IsZero() || !info.Mode().IsRegular() {
		t.Errorf("ReadDir(a)[0].Info() = %v, %v; want size 2, a mod time, regular", info, err)
	}
}

// testWalkSeesWrites checks that listings read ahead during a walk never
// hide the program's own writes.
func testWalkSeesWrites(t *testing.T, fsys *cloudfs.FS) {
	files := map[string]string{}
	for _, d := range []string{"a", "b", "c", "d"} {
		files[d+"/f"] = d
	}
	write(t, fsys, files)
	for round, op := range []func() error{
		func() error { return fsys.WriteFile("c/new", []byte("n")) },
		func() error { return fsys.Remove("c/new") },
		func() error { return fsys.Rename("d/f", "d/g") },
		func() error { w, _ := fsys.Create("b/streamed"); w.Write([]byte("s")); return w.Close() },
	} {
		readDirNames(t, fsys, ".")
		readDirNames(t, fsys, "a") // a walk step: b, c and d may be listed ahead
		if err := op(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		wants := [][]string{{"b", "f"}, {"c", "f", "new"}, {"d", "f"}}
		switch round {
		case 1:
			wants = [][]string{{"b", "f"}, {"c", "f"}, {"d", "f"}}
		case 2:
			wants = [][]string{{"b", "f"}, {"c", "f"}, {"d", "g"}}
		case 3:
			wants = [][]string{{"b", "f", "streamed"}, {"c", "f"}, {"d", "g"}}
		}
		for _, w := range wants {
			if got := readDirNames(t, fsys, w[0]); !slices.Equal(got, w[1:]) {
				t.Errorf("round %d: ReadDir(%s) = %q, want %q", round, w[0], got, w[1:])
			}
		}
	}
}

// testWalkManyPages walks a tree of more keys than one list page, with
// names whose key order differs from walk order ("a-b/…" and "a.b/…" sort
// before "a/…"), so ReadDirs are answered from a listing still under way.
func testWalkManyPages(t *testing.T, fsys *cloudfs.FS) {
	files := map[string]string{}
	for d := range 24 {
		for i := range 50 {
			files[fmt.Sprintf("d%02d/f%02d", d, i)] = "x"
		}
	}
	for _, name := range []string{"a/x", "a-b/y", "a.b/z", "a0/w", "a/b/c", "a-c", "e/f/g/h", "e/f-g", "e/f.g/i", "z"} {
		files[name] = name
	}
	write(t, fsys, files)
	want := map[string]bool{".": true}
	for name := range files {
		for p := name; p != "."; p = path.Dir(p) {
			want[p] = true
		}
	}
	for round := range 2 {
		got := map[string]bool{}
		var order []string
		err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if _, isFile := files[name]; isFile == d.IsDir() {
				t.Errorf("round %d: %s: IsDir = %v, want %v", round, name, d.IsDir(), !isFile)
			}
			got[name] = true
			order = append(order, name)
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: WalkDir: %v", round, err)
		}
		if len(got) != len(want) || len(order) != len(want) {
			var missing []string
			for name := range want {
				if !got[name] {
					missing = append(missing, name)
				}
			}
			slices.Sort(missing)
			t.Fatalf("round %d: WalkDir visited %d names (%d distinct), want %d; missing %q", round, len(order), len(got), len(want), missing)
		}
	}
}

// testWriteFileSizes writes sizes around the drivers' buffer and part
// boundaries: GCS chunks of 256 KiB, S3's 16 MiB multipart threshold.
func testWriteFileSizes(t *testing.T, fsys *cloudfs.FS) {
	for _, n := range []int{1, 256 << 10, 256<<10 + 1, 1<<20 + 13, 17 << 20} {
		data := pattern(n)
		name := fmt.Sprintf("size-%d", n)
		if err := fsys.WriteFile(name, data); err != nil {
			t.Fatalf("WriteFile(%d bytes): %v", n, err)
		}
		got, err := fs.ReadFile(fsys, name)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("ReadFile after WriteFile of %d bytes = %d bytes, %v; want the same bytes", n, len(got), err)
		}
	}
}

func testWriteFileOverwrites(t *testing.T, fsys *cloudfs.FS) {
	for _, data := range []string{"first version, longer", "second"} {
		if err := fsys.WriteFile("f", []byte(data)); err != nil {
			t.Fatalf("WriteFile: %v", err)
		}
		wantContent(t, fsys, "f", data)
	}
	// Parents are implicit.
	if err := fsys.WriteFile("new/parent/dirs/f", []byte("x")); err != nil {
		t.Fatalf("WriteFile into new dirs: %v", err)
	}
	wantContent(t, fsys, "new/parent/dirs/f", "x")
}

func testCreateVisibility(t *testing.T, fsys *cloudfs.FS) {
	w, err := fsys.Create("out/log.txt")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	for i := range 100 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if _, err := fsys.Stat("out/log.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat before Close: err = %v, want fs.ErrNotExist", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var want strings.Builder
	for i := range 100 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	wantContent(t, fsys, "out/log.txt", want.String())
}

func testWriterAbort(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, map[string]string{"keep": "old"})
	w, err := fsys.Create("keep")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write([]byte("new data that must not land")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	w.Abort()
	wantContent(t, fsys, "keep", "old")
	w2, err := fsys.Create("never")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	w2.Write([]byte("x"))
	w2.Abort()
	wantNotExist(t, fsys, "never")
}

func testWriterClosed(t *testing.T, fsys *cloudfs.FS) {
	w, err := fsys.Create("c")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := w.Write([]byte("late")); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write after Close: err = %v, want fs.ErrClosed", err)
	}
	if err := w.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("second Close: err = %v, want fs.ErrClosed", err)
	}
	write(t, fsys, map[string]string{"r": "data"})
	f, err := fsys.Open("r")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	f.Close()
	if _, err := f.Read(make([]byte, 1)); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Read after Close: err = %v, want fs.ErrClosed", err)
	}
}

func testEmptyFiles(t *testing.T, fsys *cloudfs.FS) {
	if err := fsys.WriteFile("e1", nil); err != nil {
		t.Fatalf("WriteFile(empty): %v", err)
	}
	w, err := fsys.Create("d/e2")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close without writes: %v", err)
	}
	for _, name := range []string{"e1", "d/e2"} {
		fi, err := fsys.Stat(name)
		if err != nil || fi.Size() != 0 || fi.IsDir() {
			t.Fatalf("Stat(%q) = %v, %v; want an empty file", name, fi, err)
		}
		wantContent(t, fsys, name, "")
		f, err := fsys.Open(name)
		if err != nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
		if n, err := f.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Errorf("Read(%q) = %d, %v; want 0, io.EOF", name, n, err)
		}
		if n, err := f.(io.ReaderAt).ReadAt(make([]byte, 1), 0); n != 0 || err != io.EOF {
			t.Errorf("ReadAt(%q, 0) = %d, %v; want 0, io.EOF", name, n, err)
		}
		f.Close()
	}
	if got := readDirNames(t, fsys, "d"); !slices.Equal(got, []string{"e2"}) {
		t.Errorf("ReadDir(d) = %q, want [e2]", got)
	}
}

func testRemove(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, map[string]string{"f": "1", "d/g": "2"})
	if err := fsys.Remove("f"); err != nil {
		t.Fatalf("Remove(f): %v", err)
	}
	wantNotExist(t, fsys, "f")
	wantErr(t, "Remove(f) again", fsys.Remove("f"), fs.ErrNotExist, "remove", "f")
	wantErr(t, "Remove(non-empty dir)", fsys.Remove("d"), fs.ErrExist, "remove", "d")
	wantContent(t, fsys, "d/g", "2")
	if err := fsys.Remove("d/g"); err != nil {
		t.Fatalf("Remove(d/g): %v", err)
	}
	wantNotExist(t, fsys, "d")
	readDirMissingOrEmpty(t, fsys, ".")
	// The emptied directory is gone, so its name is free for a file.
	wantErr(t, "Remove(emptied dir)", fsys.Remove("d"), fs.ErrNotExist, "remove", "d")
	if err := fsys.WriteFile("d", []byte("now a file")); err != nil {
		t.Fatalf("WriteFile(emptied dir's name): %v", err)
	}
	wantContent(t, fsys, "d", "now a file")
}

func testRemoveAll(t *testing.T, fsys *cloudfs.FS) {
	files := map[string]string{"keep.txt": "k", "dirx": "a file whose name prefixes dir"}
	for i := range 40 {
		files[fmt.Sprintf("dir/%d/f%d", i%5, i)] = "x"
	}
	write(t, fsys, files)
	if err := fsys.RemoveAll("dir"); err != nil {
		t.Fatalf("RemoveAll(dir): %v", err)
	}
	wantNotExist(t, fsys, "dir")
	wantContent(t, fsys, "keep.txt", "k")
	wantContent(t, fsys, "dirx", "a file whose name prefixes dir")
	if err := fsys.RemoveAll("nothing/here"); err != nil {
		t.Errorf("RemoveAll(missing) = %v, want nil", err)
	}
	if err := fsys.RemoveAll("keep.txt"); err != nil {
		t.Errorf("RemoveAll(file) = %v", err)
	}
	wantNotExist(t, fsys, "keep.txt")
	wantErr(t, "RemoveAll(.)", fsys.RemoveAll("."), fs.ErrInvalid, "RemoveAll", ".")
}

func testRemoveFiles(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, map[string]string{"f": "1", "d/g": "2", "d/h": "3", "keep": "k"})
	// A missing name and a directory are left without an error.
	if err := fsys.RemoveFiles("f", "d/g", "missing", "d", "no/such/dir/x"); err != nil {
		t.Fatalf("RemoveFiles: %v", err)
	}
	wantNotExist(t, fsys, "f")
	wantNotExist(t, fsys, "d/g")
	wantContent(t, fsys, "d/h", "3")
	wantContent(t, fsys, "keep", "k")
	if err := fsys.RemoveFiles(); err != nil {
		t.Errorf("RemoveFiles() = %v, want nil", err)
	}
	// A bad name fails the call before anything is removed.
	wantErr(t, "RemoveFiles(bad name)", fsys.RemoveFiles("d/h", "../x"), fs.ErrInvalid, "remove", "../x")
	wantContent(t, fsys, "d/h", "3")
	wantErr(t, "RemoveFiles(.)", fsys.RemoveFiles("."), fs.ErrInvalid, "remove", ".")
	if err := fsys.RemoveFiles("d/h", "keep", "keep"); err != nil {
		t.Fatalf("RemoveFiles(d/h, keep, keep): %v", err)
	}
	wantNotExist(t, fsys, "d")
	wantNotExist(t, fsys, "keep")
	readDirMissingOrEmpty(t, fsys, ".")
}

func testCreateExclusive(t *testing.T, fsys *cloudfs.FS) {
	if err := fsys.CreateExclusive("run/lease", []byte("one")); err != nil {
		t.Fatalf("first CreateExclusive: %v", err)
	}
	// The store refuses the second upload; that failure is the answer,
	// fs.ErrExist, whatever the driver does with a failed upload.
	err := fsys.CreateExclusive("run/lease", []byte("two"))
	if !errors.Is(err, fs.ErrExist) || !os.IsExist(err) {
		t.Errorf("second CreateExclusive: %v (os.IsExist %v), want fs.ErrExist for both errors.Is and os.IsExist", err, os.IsExist(err))
	}
	wantContent(t, fsys, "run/lease", "one")
}

func testRenameFile(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, map[string]string{"a": "A", "b": "B", "d/x": "X"})
	if err := fsys.Rename("a", "moved/a2"); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	wantNotExist(t, fsys, "a")
	wantContent(t, fsys, "moved/a2", "A")
	if err := fsys.Rename("moved/a2", "b"); err != nil {
		t.Fatalf("Rename over a file: %v", err)
	}
	wantContent(t, fsys, "b", "A")
	if err := fsys.Rename("b", "b"); err != nil {
		t.Errorf("Rename onto itself: %v", err)
	}
	wantContent(t, fsys, "b", "A")
	wantLinkErr(t, "Rename(missing)", fsys.Rename("missing", "z"), fs.ErrNotExist, "missing", "z")
	wantLinkErr(t, "Rename(file onto dir)", fsys.Rename("b", "d"), fs.ErrExist, "b", "d")
	wantContent(t, fsys, "b", "A")
}

// testRenameEdgeCases checks the cases where a naive copy-and-delete
// disagrees with os.Rename.
func testRenameEdgeCases(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, map[string]string{"b.txt": "B", "d/x": "X", "e/y": "Y"})
	wantLinkErr(t, "Rename(dir onto itself)", fsys.Rename("d", "d"), syscall.EEXIST, "d", "d")
	wantLinkErr(t, "Rename(file below itself)", fsys.Rename("b.txt", "b.txt/inner"), syscall.ENOTDIR, "b.txt", "b.txt/inner")
	wantLinkErr(t, "Rename(dir below a file)", fsys.Rename("d", "b.txt/d"), syscall.ENOTDIR, "d", "b.txt/d")
	wantLinkErr(t, "Rename(dir onto file)", fsys.Rename("d", "b.txt"), syscall.ENOTDIR, "d", "b.txt")
	wantLinkErr(t, "Rename(dir onto dir)", fsys.Rename("d", "e"), fs.ErrExist, "d", "e")
	wantLinkErr(t, "Rename(missing onto dir)", fsys.Rename("nope", "e"), fs.ErrNotExist, "nope", "e")
	wantLinkErr(t, "Rename(dir into itself)", fsys.Rename("d", "d/sub"), fs.ErrInvalid, "d", "d/sub")
	wantContent(t, fsys, "b.txt", "B")
	wantContent(t, fsys, "d/x", "X")
	wantContent(t, fsys, "e/y", "Y")
	if _, err := fsys.Stat("b.txt/inner"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(b.txt/inner) after refused rename: err = %v, want fs.ErrNotExist", err)
	}
	// A directory emptied by Rename is gone, so its name is free.
	if err := fsys.Rename("d", "moved"); err != nil {
		t.Fatalf("Rename(d, moved): %v", err)
	}
	if err := fsys.WriteFile("d", []byte("file")); err != nil {
		t.Fatalf("WriteFile(renamed dir's old name): %v", err)
	}
	wantContent(t, fsys, "d", "file")
	wantContent(t, fsys, "moved/x", "X")
}

func testRenameDir(t *testing.T, fsys *cloudfs.FS) {
	files := map[string]string{"other/o": "o", "full/f": "f"}
	for i := range 20 {
		files[fmt.Sprintf("src/s%d/f%d", i%3, i)] = fmt.Sprint(i)
	}
	write(t, fsys, files)
	if err := fsys.Rename("src", "dst/inner"); err != nil {
		t.Fatalf("Rename(dir): %v", err)
	}
	wantNotExist(t, fsys, "src")
	for i := range 20 {
		wantContent(t, fsys, fmt.Sprintf("dst/inner/s%d/f%d", i%3, i), fmt.Sprint(i))
	}
	wantLinkErr(t, "Rename(dir into itself)", fsys.Rename("dst", "dst/inner/x"), fs.ErrInvalid, "dst", "dst/inner/x")
	wantLinkErr(t, "Rename(dir onto non-empty dir)", fsys.Rename("dst", "full"), fs.ErrExist, "dst", "full")
	wantLinkErr(t, "Rename(dir onto file)", fsys.Rename("dst", "other/o"), syscall.ENOTDIR, "dst", "other/o")
	wantContent(t, fsys, "dst/inner/s0/f0", "0")
}

func testMkdirAll(t *testing.T, fsys *cloudfs.FS) {
	for _, name := range []string{".", "a", "a/b/c"} {
		if err := fsys.MkdirAll(name); err != nil {
			t.Errorf("MkdirAll(%q) = %v, want nil", name, err)
		}
	}
	write(t, fsys, map[string]string{"f": "file", "a/b/c/g": "g"})
	if err := fsys.MkdirAll("a/b"); err != nil {
		t.Errorf("MkdirAll(existing dir) = %v, want nil", err)
	}
	wantErr(t, "MkdirAll(file)", fsys.MkdirAll("f"), syscall.ENOTDIR, "mkdir", "f")
	wantErr(t, "MkdirAll(below a file)", fsys.MkdirAll("f/sub"), syscall.ENOTDIR, "mkdir", "f/sub")
	wantErr(t, "MkdirAll(invalid)", fsys.MkdirAll("../x"), fs.ErrInvalid, "mkdir", "../x")
}

func testErrorKinds(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, map[string]string{"dir/f": "f", "file": "x"})
	_, err := fsys.Open("missing")
	wantErr(t, "Open(missing)", err, fs.ErrNotExist, "open", "missing")
	_, err = fsys.Stat("dir/missing")
	wantErr(t, "Stat(missing)", err, fs.ErrNotExist, "stat", "dir/missing")
	_, err = fsys.ReadFile("missing")
	wantErr(t, "ReadFile(missing)", err, fs.ErrNotExist, "", "missing")
	_, err = fsys.ReadDir("missing")
	wantErr(t, "ReadDir(missing)", err, fs.ErrNotExist, "readdir", "missing")
	_, err = fsys.ReadDir("file")
	wantErr(t, "ReadDir(file)", err, syscall.ENOTDIR, "readdir", "file")
	// As os: EISDIR, which is no fs.ErrExist (nothing "already exists").
	_, err = fsys.ReadFile("dir")
	wantErr(t, "ReadFile(dir)", err, syscall.EISDIR, "", "dir")
	if errors.Is(err, fs.ErrExist) {
		t.Errorf("ReadFile(dir): err = %v matches fs.ErrExist, want only syscall.EISDIR", err)
	}
	_, err = fsys.Create("dir")
	wantErr(t, "Create(dir)", err, syscall.EISDIR, "open", "dir")
	wantErr(t, "WriteFile(dir)", fsys.WriteFile("dir", nil), syscall.EISDIR, "open", "dir")
	wantErr(t, "WriteFile(below a file)", fsys.WriteFile("file/x", nil), syscall.ENOTDIR, "open", "file/x")
	_, err = fsys.Create("file/x/y")
	wantErr(t, "Create(below a file)", err, syscall.ENOTDIR, "open", "file/x/y")
	wantErr(t, "Remove(dir)", fsys.Remove("dir"), syscall.ENOTEMPTY, "remove", "dir")
	wantContent(t, fsys, "dir/f", "f")
	wantContent(t, fsys, "file", "x")
	d, err := fsys.Open("dir")
	if err != nil {
		t.Fatalf("Open(dir): %v", err)
	}
	if _, err := d.Read(make([]byte, 1)); err == nil {
		t.Errorf("Read(dir) = nil error, want one")
	}
	d.Close()
}

func testInvalidNames(t *testing.T, fsys *cloudfs.FS) {
	bad := []string{"", "/abs", "../up", "a/../b", "a/./b", "trailing/", "a//b", "."}
	for _, name := range bad {
		ops := map[string]func() error{
			"Create":    func() error { _, err := fsys.Create(name); return err },
			"WriteFile": func() error { return fsys.WriteFile(name, []byte("x")) },
			"Remove":    func() error { return fsys.Remove(name) },
			"RemoveAll": func() error { return fsys.RemoveAll(name) },
			"Rename":    func() error { return fsys.Rename(name, "ok") },
			"RenameTo":  func() error { return fsys.Rename("ok", name) },
		}
		if name != "." { // "." is valid for reading
			ops["Open"] = func() error { _, err := fsys.Open(name); return err }
			ops["Stat"] = func() error { _, err := fsys.Stat(name); return err }
			ops["ReadDir"] = func() error { _, err := fsys.ReadDir(name); return err }
			ops["MkdirAll"] = func() error { return fsys.MkdirAll(name) }
			ops["Sub"] = func() error { _, err := fsys.Sub(name); return err }
		}
		for op, fn := range ops {
			err := fn()
			if !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("%s(%q): err = %v, want fs.ErrInvalid", op, name, err)
				continue
			}
			var pe *fs.PathError
			var le *os.LinkError
			if strings.HasPrefix(op, "Rename") {
				if !errors.As(err, &le) {
					t.Errorf("%s(%q): err = %T, want *os.LinkError", op, name, err)
				}
			} else if !errors.As(err, &pe) {
				t.Errorf("%s(%q): err = %T, want *fs.PathError", op, name, err)
			}
		}
	}
	readDirMissingOrEmpty(t, fsys, ".")
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func testRangeReads(t *testing.T, fsys *cloudfs.FS) {
	data := pattern(100_000)
	if err := fsys.WriteFile("r.bin", data); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	f, err := fsys.Open("r.bin")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	ra := f.(io.ReaderAt)
	cases := []struct {
		off, n  int
		wantN   int
		wantEOF bool
	}{
		{0, 10, 10, false},
		{12345, 1000, 1000, false},
		{99_990, 10, 10, false},
		{99_990, 20, 10, true},
		{100_000, 5, 0, true},
		{200_000, 5, 0, true},
		{0, 100_000, 100_000, false},
	}
	for _, c := range cases {
		buf := make([]byte, c.n)
		n, err := ra.ReadAt(buf, int64(c.off))
		if n != c.wantN || (err == io.EOF) != c.wantEOF || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt(len %d, off %d) = %d, %v; want %d, EOF=%v", c.n, c.off, n, err, c.wantN, c.wantEOF)
			continue
		}
		if n > 0 && !bytes.Equal(buf[:n], data[c.off:c.off+n]) {
			t.Errorf("ReadAt(len %d, off %d): wrong bytes", c.n, c.off)
		}
	}
	if _, err := ra.ReadAt(make([]byte, 1), -1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("ReadAt(off -1): err = %v, want fs.ErrInvalid", err)
	}
	// Concurrent ReadAt, as io.ReaderAt allows.
	var g errgroup.Group
	for i := range 16 {
		g.Go(func() error {
			off := i * 6000
			buf := make([]byte, 4000)
			if _, err := ra.ReadAt(buf, int64(off)); err != nil {
				return err
			}
			if !bytes.Equal(buf, data[off:off+4000]) {
				return fmt.Errorf("concurrent ReadAt at %d: wrong bytes", off)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Error(err)
	}
}

// testReadPastFirstMiB reads files around the size of Open's first
// request with Read in uneven pieces, with io.Copy, and with ReadAt.
func testReadPastFirstMiB(t *testing.T, fsys *cloudfs.FS) {
	for _, n := range []int{0, 1, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3<<20 + 7} {
		data := pattern(n)
		name := fmt.Sprintf("f%d", n)
		if err := fsys.WriteFile(name, data); err != nil {
			t.Fatal(err)
		}
		f, err := fsys.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		buf := make([]byte, 100_003)
		for {
			k, err := f.Read(buf)
			got = append(got, buf[:k]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Read of %d bytes at %d: %v", n, len(got), err)
			}
		}
		f.Close()
		if !bytes.Equal(got, data) {
			t.Errorf("Read of %d bytes: got %d bytes, or other bytes", n, len(got))
		}
		f, _ = fsys.Open(name)
		var w bytes.Buffer
		if k, err := io.Copy(&w, f); err != nil || k != int64(n) || !bytes.Equal(w.Bytes(), data) {
			t.Errorf("io.Copy of %d bytes = %d, %v", n, k, err)
		}
		f.Close()
		f, _ = fsys.Open(name)
		at := make([]byte, 10)
		if k, err := f.(io.ReaderAt).ReadAt(at, int64(n/2)); n >= 20 && (err != nil || !bytes.Equal(at[:k], data[n/2:n/2+10])) {
			t.Errorf("ReadAt(10 bytes at %d) of %d bytes = %d, %v", n/2, n, k, err)
		}
		f.Close()
	}
}

// testOpenedVersion overwrites a file while it is open: every later read
// of the open File returns the opened version's bytes or fails with
// cloudfs.ErrChanged, never the new version's bytes beside the old size.
func testOpenedVersion(t *testing.T, fsys *cloudfs.FS) {
	v2 := bytes.Repeat([]byte("2"), 3<<20)
	cases := []struct {
		name string
		v3   []byte
		wait time.Duration // past the service's time resolution
	}{
		{"longer", bytes.Repeat([]byte("3"), 4<<20), 0},
		{"shorter", []byte("3"), 0},
		{"same size", bytes.Repeat([]byte("3"), len(v2)), 1100 * time.Millisecond},
		{"deleted", nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := fsys.WriteFile("v", v2); err != nil {
				t.Fatal(err)
			}
			f, err := fsys.Open("v")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			head := make([]byte, 10)
			if _, err := f.(io.ReaderAt).ReadAt(head, 0); err != nil || string(head) != "2222222222" {
				t.Fatalf("ReadAt before the overwrite = %q, %v", head, err)
			}
			time.Sleep(c.wait)
			if c.v3 == nil {
				err = fsys.Remove("v")
			} else {
				err = fsys.WriteFile("v", c.v3)
			}
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, got []byte, err error) {
				t.Helper()
				if err != nil {
					if !errors.Is(err, cloudfs.ErrChanged) {
						t.Errorf("%s after the overwrite: err = %v, want nil or cloudfs.ErrChanged", what, err)
					}
					return
				}
				if bytes.ContainsFunc(got, func(r rune) bool { return r != '2' }) {
					t.Errorf("%s after the overwrite returned bytes of the new version", what)
				}
			}
			buf := make([]byte, 1000)
			n, err := f.(io.ReaderAt).ReadAt(buf, 2<<20) // beyond what a first fetch holds
			check("ReadAt", buf[:n], err)
			if _, err := f.(io.Seeker).Seek(2<<20+5, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(f)
			check("Seek+Read", got, err)
			if fi, _ := f.Stat(); fi.Size() != int64(len(v2)) {
				t.Errorf("File.Stat size = %d, want the opened version's %d", fi.Size(), len(v2))
			}
		})
	}
}

func testSeekAndRead(t *testing.T, fsys *cloudfs.FS) {
	data := pattern(50_000)
	if err := fsys.WriteFile("s.bin", data); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	f, err := fsys.Open("s.bin")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	rs := f.(io.ReadSeeker)
	steps := []struct {
		off    int64
		whence int
		want   int64
	}{
		{1000, io.SeekStart, 1000},
		{500, io.SeekCurrent, 1600}, // after reading 100 bytes
		{-100, io.SeekEnd, 49_900},
		{0, io.SeekStart, 0},
	}
	for _, s := range steps {
		pos, err := rs.Seek(s.off, s.whence)
		if err != nil || pos != s.want {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", s.off, s.whence, pos, err, s.want)
		}
		buf := make([]byte, 100)
		n, err := io.ReadFull(rs, buf)
		if err != nil || !bytes.Equal(buf[:n], data[pos:pos+int64(n)]) {
			t.Fatalf("Read after Seek to %d = %d, %v; want the file's bytes", pos, n, err)
		}
	}
	if _, err := rs.Seek(-1, io.SeekStart); err == nil {
		t.Errorf("Seek(-1) = nil error, want one")
	}
	if _, err := rs.Seek(0, 42); err == nil {
		t.Errorf("Seek(whence 42) = nil error, want one")
	}
	rs.Seek(10, io.SeekStart)
	rest, err := io.ReadAll(rs)
	if err != nil || !bytes.Equal(rest, data[10:]) {
		t.Errorf("ReadAll from 10 = %d bytes, %v; want %d", len(rest), err, len(data)-10)
	}
}

func testDeepTree(t *testing.T, fsys *cloudfs.FS) {
	var parts []string
	for i := range 24 {
		parts = append(parts, fmt.Sprintf("level%02d", i))
	}
	deep := path.Join(append(parts, "leaf.txt")...)
	write(t, fsys, map[string]string{deep: "deep", "top.txt": "top"})
	wantContent(t, fsys, deep, "deep")
	for i := 1; i <= len(parts); i++ {
		fi, err := fsys.Stat(path.Join(parts[:i]...))
		if err != nil || !fi.IsDir() {
			t.Fatalf("Stat(%q) = %v, %v; want a directory", path.Join(parts[:i]...), fi, err)
		}
	}
	var walked []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		walked = append(walked, name)
		return nil
	})
	if err != nil {
		t.Fatalf("WalkDir: %v", err)
	}
	if len(walked) != 1+len(parts)+2 || walked[len(walked)-2] != deep {
		t.Errorf("WalkDir visited %d names ending %q, want %d ending with the leaf", len(walked), walked[len(walked)-2:], len(parts)+3)
	}
	sub, err := fs.Sub(fsys, path.Join(parts[:12]...))
	if err != nil {
		t.Fatalf("Sub: %v", err)
	}
	wantContent(t, sub, path.Join(append(parts[12:], "leaf.txt")...), "deep")
}

var unusual = []string{
	"with space.txt",
	"  leading and trailing  ",
	"dir with space/inner file.txt",
	"naïve café/résumé.txt",
	"日本語/ファイル.txt",
	"emoji 🚀/✓ done.txt",
	"ελληνικά.md",
	"100% sure.txt",
	"a+b=c&d;e,f.txt",
	"quote's \"double\".txt",
	"hash#tag?.txt",
	"tilde~ (paren) [bracket] {brace}.txt",
	"-dash_underscore.txt",
}

func testUnusualNames(t *testing.T, fsys *cloudfs.FS) {
	files := map[string]string{}
	for _, n := range unusual {
		files[n] = "content of " + n
	}
	write(t, fsys, files)
	for _, n := range unusual {
		wantContent(t, fsys, n, "content of "+n)
	}
	settleTimes(t, fsys, files)
	if err := fstest.TestFS(fsys, unusual...); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename("日本語", "中文"); err != nil {
		t.Fatalf("Rename(unicode dir): %v", err)
	}
	wantContent(t, fsys, "中文/ファイル.txt", "content of 日本語/ファイル.txt")
	if err := fsys.Remove("with space.txt"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	wantNotExist(t, fsys, "with space.txt")
}

func testSub(t *testing.T, fsys *cloudfs.FS) {
	files := map[string]string{"a/b/c.txt": "c", "a/top": "t", "outside": "o"}
	write(t, fsys, files)
	settleTimes(t, fsys, files)
	s, err := fsys.Sub("a")
	if err != nil {
		t.Fatalf("Sub: %v", err)
	}
	sub := s.(*cloudfs.FS)
	if err := fstest.TestFS(sub, "b/c.txt", "top"); err != nil {
		t.Fatal(err)
	}
	if err := sub.WriteFile("new", []byte("n")); err != nil {
		t.Fatalf("Sub WriteFile: %v", err)
	}
	wantContent(t, fsys, "a/new", "n")
	if _, err := sub.Stat("outside"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Sub sees outside: err = %v, want fs.ErrNotExist", err)
	}
	if same, _ := fsys.Sub("."); same != fs.FS(fsys) {
		t.Errorf("Sub(.) returned a new FS, want the same")
	}
}

func testGlob(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, map[string]string{"x/1.txt": "", "x/2.txt": "", "x/3.bin": "", "y/1.txt": "", "z.txt": ""})
	cases := map[string][]string{
		"*.txt":   {"z.txt"},
		"x/*.txt": {"x/1.txt", "x/2.txt"},
		"*/1.txt": {"x/1.txt", "y/1.txt"},
		"x/[13]*": {"x/1.txt", "x/3.bin"},
		"nope/*":  nil,
	}
	for pat, want := range cases {
		got, err := fs.Glob(fsys, pat)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Glob(%q) = %q, %v; want %q", pat, got, err, want)
		}
	}
	if _, err := fsys.Glob("x/[a"); err == nil {
		t.Errorf("Glob(bad pattern) = nil error, want path.ErrBadPattern")
	}
}

func testContext(t *testing.T, fsys *cloudfs.FS) {
	write(t, fsys, map[string]string{"f": "data"})
	ctx, cancel := context.WithCancel(context.Background())
	cfs := fsys.WithContext(ctx)
	if cfs.Context() != ctx {
		t.Fatalf("WithContext view has another context")
	}
	wantContent(t, cfs, "f", "data")
	f, err := cfs.Open("f")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	w, err := cfs.Create("g")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	w.Write([]byte("never lands"))
	cancel()
	checks := map[string]error{
		"WriteFile": cfs.WriteFile("h", []byte("x")),
		"Remove":    cfs.Remove("f"),
		"Close":     w.Close(),
	}
	_, checks["ReadFile"] = cfs.ReadFile("f")
	_, checks["Stat"] = cfs.Stat("f")
	_, checks["File.Read"] = f.Read(make([]byte, 1))
	for what, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: err = %v, want context.Canceled", what, err)
		}
	}
	// The unbound FS is unaffected, and nothing was written.
	wantContent(t, fsys, "f", "data")
	wantNotExist(t, fsys, "g")
	wantNotExist(t, fsys, "h")
}

// foreignError is an error type no driver returns.
type foreignError struct{}

func (*foreignError) Error() string { return "foreign" }

func testAs(t *testing.T, fsys *cloudfs.FS) {
	var wrong *sync.Mutex
	if fsys.As(&wrong) {
		t.Errorf("As(*sync.Mutex) = true, want false")
	}
	_, err := fsys.Stat("missing")
	var wrongErr *foreignError
	if fsys.ErrorAs(err, &wrongErr) {
		t.Errorf("ErrorAs(*foreignError) = true, want false")
	}
}

func testThousand(t *testing.T, fsys *cloudfs.FS) {
	const n = 1000
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("big/f%04d", i)] = fmt.Sprint(i)
	}
	files["big/sub/x"] = "x"
	write(t, fsys, files)
	ents, err := fsys.ReadDir("big")
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	if len(ents) != n+1 {
		t.Fatalf("ReadDir(big) = %d entries, want %d", len(ents), n+1)
	}
	for i := range n {
		if want := fmt.Sprintf("f%04d", i); ents[i].Name() != want {
			t.Fatalf("entry %d = %q, want %q (sorted)", i, ents[i].Name(), want)
		}
	}
	if !ents[n].IsDir() || ents[n].Name() != "sub" {
		t.Errorf("last entry = %v, want directory sub", ents[n])
	}
	d, err := fsys.Open("big")
	if err != nil {
		t.Fatalf("Open(big): %v", err)
	}
	defer d.Close()
	total := 0
	for {
		page, err := d.(fs.ReadDirFile).ReadDir(128)
		total += len(page)
		if err == io.EOF {
			break
		}
		if err != nil || len(page) == 0 {
			t.Fatalf("ReadDir(128) = %d, %v", len(page), err)
		}
	}
	if total != n+1 {
		t.Errorf("paged ReadDir total = %d, want %d", total, n+1)
	}
	count := 0
	fs.WalkDir(fsys, "big", func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			count++
		}
		return err
	})
	if count != n+1 {
		t.Errorf("WalkDir files = %d, want %d", count, n+1)
	}
}

// testLarge streams 64 MiB through Create in uneven writes and reads it
// back, checking every byte by hash and a few by ReadAt.
func testLarge(t *testing.T, fsys *cloudfs.FS) {
	const size = 64 << 20
	chunk := pattern(1<<20 + 13) // uneven, so writes straddle parts
	w, err := fsys.Create("large.bin")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	h := sha256.New()
	for written := 0; written < size; {
		n := min(len(chunk), size-written)
		if _, err := w.Write(chunk[:n]); err != nil {
			t.Fatalf("Write at %d: %v", written, err)
		}
		h.Write(chunk[:n])
		written += n
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	want := h.Sum(nil)
	fi, err := fsys.Stat("large.bin")
	if err != nil || fi.Size() != size {
		t.Fatalf("Stat = %v, %v; want size %d", fi, err, size)
	}
	f, err := fsys.Open("large.bin")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	h.Reset()
	if n, err := io.Copy(h, f); err != nil || n != size {
		t.Fatalf("read back = %d, %v; want %d bytes", n, err, size)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		t.Fatalf("read back sha256 = %x, want %x", got, want)
	}
	buf := make([]byte, 100)
	off := int64(size - 50)
	if n, err := f.(io.ReaderAt).ReadAt(buf, off); n != 50 || err != io.EOF {
		t.Fatalf("ReadAt near end = %d, %v; want 50, io.EOF", n, err)
	}
	c := int64(len(chunk))
	for i := range int64(50) {
		p := off + i
		if buf[i] != chunk[p%c] {
			t.Fatalf("byte at %d = %d, want %d", p, buf[i], chunk[p%c])
		}
	}
}
