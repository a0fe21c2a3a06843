package cloudfstest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
)

// RunModel applies ops random operations, chosen by seed, both to fsys
// (which must be empty) and to package os on a fresh temporary directory,
// and fails at the first result that differs: every error's kind (and
// that os.IsNotExist and os.IsExist agree with it), every byte read,
// every listing, size and file type. A whole-tree walk of both is
// compared every 50 operations and at the end.
//
// What an object store does differently by design is modelled, so it is
// no mismatch:
//
//   - Empty directories do not exist: after each operation the model
//     removes empty directories from the os tree (not the root; the root
//     of a prefix with no keys may read as missing).
//   - Parent directories are implicit: before a write (WriteFile, Create,
//     the new name of Rename) the model runs os.MkdirAll on the parent, and
//     an error of that is the write's error (ENOTDIR for a file on the
//     path, which cloudfs gives too).
//   - A name below a file ("f/x" where f is a file) is simply missing for
//     reads and deletes, where os says ENOTDIR: Stat, Open, ReadFile,
//     ReadDir and Remove give fs.ErrNotExist, RemoveAll nil. Rename of a
//     missing name gives fs.ErrNotExist even where os first finds a file
//     on the new name's path (ENOTDIR).
//   - A File reads the version it opened, so open files are used and
//     closed within one operation here (os would read later writes).
//   - Modification times are not compared.
func RunModel(t *testing.T, fsys *cloudfs.FS, seed uint64, ops int) {
	t.Helper()
	m := &model{
		t: t, fsys: fsys, root: t.TempDir(),
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	for i := range ops {
		m.step = i
		m.one()
		m.pruneOS()
		if i%50 == 49 || i == ops-1 {
			m.compareTrees()
		}
	}
	t.Logf("model: seed %d, %d operations, no mismatch; %s", seed, ops, m.summary())
}

type model struct {
	t    *testing.T
	fsys *cloudfs.FS
	root string
	rng  *rand.Rand
	step int
	log  []string       // the last operations, for a failure's message
	hist map[string]int // operations by name
	kind map[string]int // results by kind
}

// The name universe is small, so names collide often: a file where a
// directory was, a rename onto its own child, and so on.
var modelParts = []string{"a", "b", "c.txt", "d d", "é"}

func (m *model) name() string {
	depth := 1 + m.rng.IntN(3)
	parts := make([]string, depth)
	for i := range parts {
		parts[i] = modelParts[m.rng.IntN(len(modelParts))]
	}
	return strings.Join(parts, "/")
}

// readName is a name for a read, sometimes the root.
func (m *model) readName() string {
	if m.rng.IntN(12) == 0 {
		return "."
	}
	return m.name()
}

func (m *model) data() []byte {
	n := m.rng.IntN(64)
	if m.rng.IntN(8) == 0 {
		n = m.rng.IntN(70_000) // across the block sizes of reads
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(m.rng.IntN(256))
	}
	return b
}

func (m *model) osPath(name string) string { return filepath.Join(m.root, filepath.FromSlash(name)) }

func (m *model) record(op string) {
	if m.hist == nil {
		m.hist, m.kind = map[string]int{}, map[string]int{}
	}
	key := strings.TrimSpace(op)
	if i := strings.IndexAny(key, " ("); i > 0 {
		key = key[:i]
	}
	m.hist[key]++
	m.log = append(m.log, fmt.Sprintf("%d: %s", m.step, op))
	if len(m.log) > 12 {
		m.log = m.log[1:]
	}
}

func (m *model) summary() string {
	var b strings.Builder
	for _, k := range slices.Sorted(mapsKeys(m.hist)) {
		fmt.Fprintf(&b, "%s %d, ", k, m.hist[k])
	}
	b.WriteString("results:")
	for _, k := range slices.Sorted(mapsKeys(m.kind)) {
		fmt.Fprintf(&b, " %s %d", k, m.kind[k])
	}
	return b.String()
}

func mapsKeys(mp map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range mp {
			if !yield(k) {
				return
			}
		}
	}
}

func (m *model) failf(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("model mismatch at operation %d:\n%s\nlast operations:\n  %s", m.step, fmt.Sprintf(format, args...), strings.Join(m.log, "\n  "))
}

// errKind classifies an error as the model compares it.
func errKind(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, syscall.ENOTDIR):
		return "ENOTDIR"
	case errors.Is(err, syscall.EISDIR):
		return "EISDIR"
	case errors.Is(err, fs.ErrNotExist):
		return "not-exist"
	case errors.Is(err, fs.ErrExist):
		return "exist"
	case errors.Is(err, fs.ErrInvalid), errors.Is(err, syscall.EINVAL):
		return "invalid"
	case errors.Is(err, fs.ErrPermission):
		return "permission"
	case err == io.EOF:
		return "EOF"
	}
	return "other(" + err.Error() + ")"
}

// belowFile reports whether a proper parent of name is a file in the os
// tree.
func (m *model) belowFile(name string) bool {
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if fi, err := os.Lstat(m.osPath(p)); err == nil && !fi.IsDir() {
			return true
		}
	}
	return false
}

// expect turns os's result into the one cloudfs should give; deleting
// says whether the operation removes name (RemoveAll answers nil where
// the others answer not-exist).
func (m *model) expect(op, name string, osErr error, removeAll bool) string {
	k := errKind(osErr)
	if k == "ENOTDIR" && m.belowFile(name) {
		if removeAll {
			return "ok"
		}
		return "not-exist"
	}
	return k
}

// check compares one result and the os helpers' agreement with it.
func (m *model) check(what, want string, err error) {
	m.t.Helper()
	got := errKind(err)
	m.kind[got]++
	if got != want {
		m.failf("%s: cloudfs %s (%v), os (modelled) %s", what, got, err, want)
	}
	if os.IsNotExist(err) != (got == "not-exist") {
		m.failf("%s: os.IsNotExist(%v) = %v for kind %s", what, err, os.IsNotExist(err), got)
	}
	if os.IsExist(err) != (got == "exist") {
		m.failf("%s: os.IsExist(%v) = %v for kind %s", what, err, os.IsExist(err), got)
	}
}

// osWrite runs a write on os after creating name's parents, as cloudfs's
// implicit directories do.
func (m *model) osWrite(name string, fn func() error) error {
	if err := os.MkdirAll(filepath.Dir(m.osPath(name)), 0o755); err != nil {
		return err
	}
	return fn()
}

func (m *model) one() {
	switch r := m.rng.IntN(100); {
	case r < 14:
		m.writeFile()
	case r < 22:
		m.create()
	case r < 30:
		m.remove()
	case r < 34:
		m.removeAll()
	case r < 44:
		m.rename()
	case r < 48:
		m.mkdirAll()
	case r < 60:
		m.readFile()
	case r < 72:
		m.stat()
	case r < 84:
		m.readDir()
	default:
		m.openAndRead()
	}
}

func (m *model) writeFile() {
	name, data := m.name(), m.data()
	m.record(fmt.Sprintf("WriteFile %q (%d bytes)", name, len(data)))
	osErr := m.osWrite(name, func() error { return os.WriteFile(m.osPath(name), data, 0o644) })
	m.check("WriteFile "+name, errKind(osErr), m.fsys.WriteFile(name, data))
}

func (m *model) create() {
	name, data := m.name(), m.data()
	m.record(fmt.Sprintf("Create+Write+Close %q (%d bytes)", name, len(data)))
	var of *os.File
	osErr := m.osWrite(name, func() (err error) { of, err = os.Create(m.osPath(name)); return err })
	w, err := m.fsys.Create(name)
	m.check("Create "+name, errKind(osErr), err)
	if err != nil {
		return
	}
	// Writes in pieces, as a program streams.
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 1+m.rng.IntN(len(rest)))
		_, oerr := of.Write(rest[:n])
		_, err := w.Write(rest[:n])
		m.check("Write "+name, errKind(oerr), err)
		rest = rest[n:]
	}
	oerr := of.Close()
	m.check("Close "+name, errKind(oerr), w.Close())
}

func (m *model) remove() {
	name := m.name()
	m.record(fmt.Sprintf("Remove %q", name))
	osErr := os.Remove(m.osPath(name))
	m.check("Remove "+name, m.expect("remove", name, osErr, false), m.fsys.Remove(name))
}

func (m *model) removeAll() {
	name := m.name()
	m.record(fmt.Sprintf("RemoveAll %q", name))
	osErr := os.RemoveAll(m.osPath(name))
	m.check("RemoveAll "+name, m.expect("removeall", name, osErr, true), m.fsys.RemoveAll(name))
}

func (m *model) rename() {
	oldname, newname := m.name(), m.name()
	switch m.rng.IntN(6) {
	case 0:
		newname = oldname
	case 1:
		newname = oldname + "/" + modelParts[m.rng.IntN(len(modelParts))]
	case 2:
		if d := path.Dir(oldname); d != "." {
			oldname, newname = d, oldname // a directory onto its child
		}
	}
	m.record(fmt.Sprintf("Rename %q %q", oldname, newname))
	rename := func() error { return os.Rename(m.osPath(oldname), m.osPath(newname)) }
	var osErr error
	_, oldErr := os.Lstat(m.osPath(oldname))
	if oldErr == nil {
		osErr = m.osWrite(newname, rename)
	} else {
		osErr = rename() // creating newname's parents could create oldname
	}
	want := errKind(osErr)
	if want == "ENOTDIR" && oldErr != nil {
		// A missing (or below a file) oldname is not-exist, whatever
		// newname's path holds; os may report newname's path first.
		want = "not-exist"
	}
	m.check(fmt.Sprintf("Rename %s %s", oldname, newname), want, m.fsys.Rename(oldname, newname))
}

func (m *model) mkdirAll() {
	name := m.name()
	m.record(fmt.Sprintf("MkdirAll %q", name))
	osErr := os.MkdirAll(m.osPath(name), 0o755)
	m.check("MkdirAll "+name, errKind(osErr), m.fsys.MkdirAll(name))
}

func (m *model) readFile() {
	name := m.readName()
	m.record(fmt.Sprintf("ReadFile %q", name))
	want, osErr := os.ReadFile(m.osPath(name))
	got, err := m.fsys.ReadFile(name)
	k := m.expect("read", name, osErr, false)
	if name == "." && m.emptyRoot() && errKind(err) == "not-exist" {
		k = "not-exist"
	}
	m.check("ReadFile "+name, k, err)
	if err == nil && !bytes.Equal(got, want) {
		m.failf("ReadFile %s: cloudfs %d bytes, os %d bytes (or different bytes)", name, len(got), len(want))
	}
}

// emptyRoot reports whether the os tree is empty: the root of a prefix
// with no keys may read as missing.
func (m *model) emptyRoot() bool {
	ents, _ := os.ReadDir(m.root)
	return len(ents) == 0
}

func (m *model) stat() {
	name := m.readName()
	m.record(fmt.Sprintf("Stat %q", name))
	ofi, osErr := os.Stat(m.osPath(name))
	fi, err := m.fsys.Stat(name)
	k := m.expect("stat", name, osErr, false)
	if name == "." && m.emptyRoot() && errKind(err) == "not-exist" {
		return
	}
	m.check("Stat "+name, k, err)
	if err != nil {
		return
	}
	if fi.IsDir() != ofi.IsDir() || (!fi.IsDir() && fi.Size() != ofi.Size()) || (name != "." && fi.Name() != ofi.Name()) {
		m.failf("Stat %s: cloudfs %s dir=%v size %d, os %s dir=%v size %d", name, fi.Name(), fi.IsDir(), fi.Size(), ofi.Name(), ofi.IsDir(), ofi.Size())
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		m.failf("Stat %s: mode %v, want a regular file", name, fi.Mode())
	}
}

func describe(ents []fs.DirEntry) string {
	var b strings.Builder
	for _, e := range ents {
		b.WriteString(e.Name())
		if e.IsDir() {
			b.WriteString("/")
		} else if info, err := e.Info(); err == nil {
			fmt.Fprintf(&b, "(%d)", info.Size())
		} else {
			b.WriteString("(" + err.Error() + ")")
		}
		b.WriteString(" ")
	}
	return b.String()
}

func (m *model) readDir() {
	name := m.readName()
	m.record(fmt.Sprintf("ReadDir %q", name))
	oents, osErr := os.ReadDir(m.osPath(name))
	ents, err := m.fsys.ReadDir(name)
	if name == "." && m.emptyRoot() && errKind(err) == "not-exist" {
		return
	}
	m.check("ReadDir "+name, m.expect("readdir", name, osErr, false), err)
	if got, want := describe(ents), describe(oents); err == nil && got != want {
		m.failf("ReadDir %s:\n cloudfs %s\n os      %s", name, got, want)
	}
}

// openAndRead opens a name and uses the File as a program would: ReadAt
// at random offsets, Seek and Read, Stat, then Close.
func (m *model) openAndRead() {
	name := m.readName()
	m.record(fmt.Sprintf("Open %q", name))
	of, osErr := os.Open(m.osPath(name))
	f, err := m.fsys.Open(name)
	if name == "." && m.emptyRoot() && errKind(err) == "not-exist" {
		if of != nil {
			of.Close()
		}
		return
	}
	m.check("Open "+name, m.expect("open", name, osErr, false), err)
	if err != nil {
		return
	}
	defer of.Close()
	defer func() {
		if err := f.Close(); err != nil {
			m.failf("Close %s: %v", name, err)
		}
	}()
	ofi, _ := of.Stat()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() != ofi.IsDir() || (!fi.IsDir() && fi.Size() != ofi.Size()) {
		m.failf("File.Stat %s: cloudfs %v, %v; os dir=%v size %d", name, fi, err, ofi.IsDir(), ofi.Size())
	}
	if fi.IsDir() {
		_, oerr := of.Read(make([]byte, 1))
		_, err := f.Read(make([]byte, 1))
		m.check("Read(dir) "+name, errKind(oerr), err)
		return
	}
	size := ofi.Size()
	ra := f.(io.ReaderAt)
	sk := f.(io.ReadSeeker)
	for range 1 + m.rng.IntN(6) {
		n := m.rng.IntN(int(min(size+10, 80_000)) + 1)
		off := m.rng.Int64N(size + 20)
		switch m.rng.IntN(3) {
		case 0, 1:
			m.record(fmt.Sprintf("  ReadAt(len %d, off %d)", n, off))
			want := make([]byte, n)
			on, oerr := of.ReadAt(want, off)
			got := make([]byte, n)
			gn, err := ra.ReadAt(got, off)
			m.check(fmt.Sprintf("ReadAt %s len %d off %d", name, n, off), errKind(oerr), err)
			if gn != on || !bytes.Equal(got[:gn], want[:on]) {
				m.failf("ReadAt %s len %d off %d: cloudfs %d bytes, os %d (or different bytes)", name, n, off, gn, on)
			}
		default:
			whence := m.rng.IntN(3)
			so := off
			if whence == io.SeekEnd {
				so = -m.rng.Int64N(size + 1)
			} else if whence == io.SeekCurrent {
				so = m.rng.Int64N(size+1) - size/2
			}
			m.record(fmt.Sprintf("  Seek(%d, %d)+Read(%d)", so, whence, n))
			opos, oerr := of.Seek(so, whence)
			pos, err := sk.Seek(so, whence)
			if (oerr == nil) != (err == nil) || (err == nil && pos != opos) {
				m.failf("Seek %s (%d, %d): cloudfs %d, %v; os %d, %v", name, so, whence, pos, err, opos, oerr)
			}
			if err != nil {
				continue
			}
			want, oerr := io.ReadAll(io.LimitReader(of, int64(n)))
			got, err := io.ReadAll(io.LimitReader(sk, int64(n)))
			m.check(fmt.Sprintf("Read %s after Seek to %d", name, pos), errKind(oerr), err)
			if !bytes.Equal(got, want) {
				m.failf("Read %s after Seek to %d: cloudfs %d bytes, os %d (or different bytes)", name, pos, len(got), len(want))
			}
		}
	}
}

// pruneOS removes the os tree's empty directories, deepest first: in an
// object store they do not exist.
func (m *model) pruneOS() {
	var dirs []string
	filepath.WalkDir(m.root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != m.root {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i]) // fails unless empty
	}
}

// compareTrees walks both trees and compares every name, type and size.
func (m *model) compareTrees() {
	walk := func(fsys fs.FS) (string, error) {
		var b strings.Builder
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == "." && errors.Is(err, fs.ErrNotExist) {
					return fs.SkipAll // a prefix with no keys
				}
				return err
			}
			if p == "." {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if d.IsDir() {
				fmt.Fprintf(&b, "%s/\n", p)
			} else {
				fmt.Fprintf(&b, "%s %d\n", p, info.Size())
			}
			return nil
		})
		return b.String(), err
	}
	want, err := walk(os.DirFS(m.root))
	if err != nil {
		m.failf("walk of the os tree: %v", err)
	}
	got, err := walk(m.fsys)
	if err != nil {
		m.failf("WalkDir: %v", err)
	}
	if got != want {
		m.failf("trees differ:\ncloudfs:\n%s\nos:\n%s", got, want)
	}
}
