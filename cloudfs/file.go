package cloudfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// File is an object opened for reading. It implements fs.File, io.Seeker,
// io.ReaderAt and io.WriterTo.
//
// A File reads the version of the object it opened. Read streams from the
// current offset: from offset 0 through the GET that Open sent, after a
// Seek that moves the offset through one ranged request. ReadAt reads
// through a small cache of the ranges it fetched (see Options.ReadCache),
// so a program reading at nearby offsets (archive/zip, a footer and then
// a section) makes few requests; it may be called concurrently. Every
// request after Open checks that the object is still the one opened (its
// size and modification time; the service's own condition where a driver
// package registers one, see RegisterReadCondition) and otherwise fails
// with ErrChanged rather than mix versions.
type File struct {
	f    *FS
	ctx  context.Context
	name string
	key  string
	info *fileInfo
	ver  version

	mu     sync.Mutex
	r      *blob.Reader // Open's GET, or a ranged one after a moving Seek; nil after ReadAt
	rEnd   int64        // where r's range ends
	unread bool         // r is Open's GET and nothing has read from it
	off    int64
	closed bool
	cache  *readCache // ReadAt's ranges; nil until the first ReadAt
}

// ErrChanged reports that a File's object was replaced or deleted after
// Open: the File reads only the version it opened.
var ErrChanged = errors.New("cloudfs: the object changed since the file was opened (a File reads only the version it opened; open it again)")

// version identifies the object a File opened, with its size (info.size).
type version struct {
	modTime time.Time // exact, as the service reported it (info's is truncated)
	cond    ReadCondition
}

// A ReadCondition makes a range request fail unless the object is still
// the version a File opened: for example an ETag in If-Match. It is made
// from Open's GET, and applied through blob.ReaderOptions.BeforeRead.
type ReadCondition func(asFunc func(any) bool) error

// A ReadConditioner returns the condition pinning the version r read, or
// ok false for readers of drivers it does not know.
type ReadConditioner func(r *blob.Reader) (c ReadCondition, ok bool)

var (
	conditionersMu sync.Mutex
	conditioners   []ReadConditioner
)

// RegisterReadCondition adds a ReadConditioner; driver packages such as
// cloudfs/s3upload call it in init. Without one, a File compares size and
// modification time, which misses a replacement of the same size within
// the service's time resolution (one second on S3 and Azure).
func RegisterReadCondition(c ReadConditioner) {
	conditionersMu.Lock()
	defer conditionersMu.Unlock()
	conditioners = append(conditioners, c)
}

func readCondition(r *blob.Reader) ReadCondition {
	conditionersMu.Lock()
	cs := conditioners
	conditionersMu.Unlock()
	for _, c := range cs {
		if cond, ok := c(r); ok {
			return cond
		}
	}
	return nil
}

func newFile(f *FS, name string, r *blob.Reader) *File {
	info := &fileInfo{name: path.Base(name), size: r.Size(), mode: 0o644, modTime: modTime(r.ModTime())}
	return &File{
		f: f, ctx: f.ctx, name: name, key: f.key(name), info: info,
		ver: version{modTime: r.ModTime(), cond: readCondition(r)},
		r:   r, rEnd: min(r.Size(), openSpan), unread: true,
	}
}

// rangeReader starts a read of length bytes at off (length < 0: to the
// end) of the version the File opened.
func (fl *File) rangeReader(off, length int64) (*blob.Reader, error) {
	var opts *blob.ReaderOptions
	if fl.ver.cond != nil {
		opts = &blob.ReaderOptions{BeforeRead: fl.ver.cond}
	}
	r, err := fl.f.b.NewRangeReader(fl.ctx, fl.key, off, length, opts)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition || isNotExist(err) || fl.changed() {
			// A refused condition, no object, or (for "range not
			// satisfiable" and the like, which drivers do not classify)
			// another version: the File's version is gone.
			return nil, &fs.PathError{Op: "read", Path: fl.name, Err: ErrChanged}
		}
		return nil, fl.f.bucket.pathError("read", fl.name, err)
	}
	if r.Size() != fl.info.size || !r.ModTime().Equal(fl.ver.modTime) {
		r.Close()
		return nil, &fs.PathError{Op: "read", Path: fl.name, Err: ErrChanged}
	}
	return r, nil
}

// changed reports whether the object is no longer the version the File
// opened, as far as its attributes tell.
func (fl *File) changed() bool {
	if fl.ctx.Err() != nil {
		return false
	}
	a, err := fl.f.b.Attributes(fl.ctx, fl.key)
	if err != nil {
		return isNotExist(err)
	}
	return a.Size != fl.info.size || !a.ModTime.Equal(fl.ver.modTime)
}

// Stat returns the FileInfo seen at Open.
func (fl *File) Stat() (fs.FileInfo, error) { return fl.info, nil }

// Read reads from the current offset.
func (fl *File) Read(p []byte) (int, error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.closed {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: fs.ErrClosed}
	}
	if err := fl.ctx.Err(); err != nil {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: err}
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if fl.off >= fl.info.size {
			return 0, io.EOF
		}
		if err := fl.openReader(); err != nil {
			return 0, err
		}
		fl.unread = false
		n, err := fl.r.Read(p)
		fl.off += int64(n)
		if err == io.EOF && fl.off < fl.info.size {
			if err := fl.rangeEnded(); err != nil {
				return n, err
			}
			if n == 0 {
				continue
			}
			return n, nil
		}
		if err != nil && err != io.EOF {
			return n, fl.f.bucket.pathError("read", fl.name, err)
		}
		return n, err
	}
}

// rangeEnded is called when r ended short of the file's end: at the end
// of Open's span, r is closed so that the next read continues with a new
// request; anywhere else, the object changed under r.
func (fl *File) rangeEnded() error {
	if fl.off != fl.rEnd {
		return &fs.PathError{Op: "read", Path: fl.name, Err: ErrChanged}
	}
	_ = fl.r.Close()
	fl.r = nil
	return nil
}

// openReader starts a read from the current offset to the end, unless r
// still serves it.
func (fl *File) openReader() error {
	if fl.r != nil {
		return nil
	}
	length := fl.info.size - fl.off
	if fl.off == 0 {
		// A plain GET, as blob.Bucket.NewReader sends: some servers serve
		// ranged requests more slowly.
		length = -1
	}
	r, err := fl.rangeReader(fl.off, length)
	if err != nil {
		return err
	}
	fl.r, fl.rEnd = r, fl.info.size
	return nil
}

// WriteTo copies the rest of the file to w; io.Copy uses it.
func (fl *File) WriteTo(w io.Writer) (int64, error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.closed {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: fs.ErrClosed}
	}
	if fl.off >= fl.info.size {
		return 0, nil
	}
	var n int64
	for fl.off < fl.info.size {
		if err := fl.openReader(); err != nil {
			return n, err
		}
		fl.unread = false
		k, err := fl.r.WriteTo(w)
		n += k
		fl.off += k
		if err != nil {
			return n, fl.f.bucket.pathError("read", fl.name, err)
		}
		if fl.off < fl.info.size {
			if err := fl.rangeEnded(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Seek sets the offset for the next Read, as os.File.Seek does.
func (fl *File) Seek(offset int64, whence int) (int64, error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.closed {
		return 0, &fs.PathError{Op: "seek", Path: fl.name, Err: fs.ErrClosed}
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = fl.off + offset
	case io.SeekEnd:
		abs = fl.info.size + offset
	default:
		return 0, &fs.PathError{Op: "seek", Path: fl.name, Err: fmt.Errorf("whence %d: want io.SeekStart, io.SeekCurrent or io.SeekEnd: %w", whence, fs.ErrInvalid)}
	}
	if abs < 0 {
		return 0, &fs.PathError{Op: "seek", Path: fl.name, Err: fmt.Errorf("negative offset %d: %w", abs, fs.ErrInvalid)}
	}
	if abs != fl.off && fl.r != nil {
		_ = fl.r.Close()
		fl.r, fl.unread = nil, false
	}
	fl.off = abs
	return abs, nil
}

// ReadAt reads len(p) bytes at off. It does not move the offset of Read
// and is safe to call concurrently. Small reads are served from, and
// fetched into, the File's read cache; reads of more than half of it go
// to the service directly.
func (fl *File) ReadAt(p []byte, off int64) (int, error) {
	fl.mu.Lock()
	closed := fl.closed
	if fl.cache == nil && !closed {
		fl.cache = newReadCache(fl.f.opts.ReadCache)
	}
	c := fl.cache
	if fl.unread {
		// A program reading at offsets will not stream from Open's GET.
		// A small object is no more than a miss would fetch, so keep it;
		// otherwise end the GET rather than let the rest arrive unread.
		if fl.rEnd == fl.info.size && fl.info.size <= c.window() {
			buf := make([]byte, fl.info.size)
			if _, err := io.ReadFull(fl.r, buf); err == nil {
				c.add(0, buf)
			}
		}
		_ = fl.r.Close()
		fl.r, fl.unread = nil, false
	}
	fl.mu.Unlock()
	if closed {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: fs.ErrClosed}
	}
	if err := fl.ctx.Err(); err != nil {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: err}
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: fl.name, Err: fmt.Errorf("negative offset %d: %w", off, fs.ErrInvalid)}
	}
	if len(p) == 0 {
		return 0, nil // as os.File.ReadAt, at any offset
	}
	size := fl.info.size
	if off >= size {
		return 0, io.EOF
	}
	want := int(min(int64(len(p)), size-off))
	n := 0
	for n < want {
		at := off + int64(n)
		if k := c.copy(p[n:want], at); k > 0 {
			n += k
			continue
		}
		if int64(want-n) > c.window() {
			// A big read: straight into p, no copy kept.
			k, err := fl.fetch(p[n:want], at)
			n += k
			if err != nil {
				return n, err
			}
			continue
		}
		start, end := c.plan(at, int64(want-n), size)
		buf := make([]byte, end-start)
		if _, err := fl.fetch(buf, start); err != nil {
			return n, err
		}
		c.add(start, buf)
	}
	if want < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// fetch fills p from off with one ranged request for the opened version.
func (fl *File) fetch(p []byte, off int64) (int, error) {
	r, err := fl.rangeReader(off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n, err := io.ReadFull(r, p)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return n, &fs.PathError{Op: "read", Path: fl.name, Err: ErrChanged} // it shrank
		}
		return n, fl.f.bucket.pathError("read", fl.name, err)
	}
	return n, nil
}

// Close ends any read in progress and drops the read cache. A second
// Close reports fs.ErrClosed.
func (fl *File) Close() error {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.closed {
		return &fs.PathError{Op: "close", Path: fl.name, Err: fs.ErrClosed}
	}
	fl.closed = true
	if fl.r != nil {
		_ = fl.r.Close() // a read-side close has nothing to lose
		fl.r, fl.unread = nil, false
	}
	if fl.cache != nil {
		fl.cache.drop()
	}
	return nil
}

// dir is an opened directory. Its entries are listed on the first ReadDir.
type dir struct {
	f      *FS
	name   string
	info   *fileInfo
	ents   []fs.DirEntry
	listed bool
	closed bool
}

func (d *dir) Stat() (fs.FileInfo, error) { return d.info, nil }

func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errIsDir}
}

func (d *dir) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.name, Err: fs.ErrClosed}
	}
	d.closed = true
	return nil
}

// ReadDir follows fs.ReadDirFile: with n > 0 it returns at most n entries
// and io.EOF at the end; with n <= 0 it returns all remaining entries.
func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: fs.ErrClosed}
	}
	if !d.listed {
		ents, err := d.f.readDir(d.f.ctx, d.name)
		if err != nil {
			return nil, d.f.bucket.pathError("readdir", d.name, err)
		}
		d.ents, d.listed = ents, true
	}
	if n <= 0 {
		ents := d.ents
		d.ents = nil
		return ents, nil
	}
	if len(d.ents) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.ents))
	ents := d.ents[:n:n]
	d.ents = d.ents[n:]
	return ents, nil
}

// fileInfo describes a file or directory. Files are regular (0644),
// directories 0755; a directory has no size or modification time.
type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
	sys     any
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.modTime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }

// Sys returns the *blob.Attributes for a file from FS.Stat, and nil
// otherwise.
func (fi *fileInfo) Sys() any { return fi.sys }

// sortEntries sorts by name and, where a key is both a file and a prefix
// ("a" and "a/b"), keeps the file, which is what Open returns.
func sortEntries(ents *[]fs.DirEntry) {
	e := *ents
	slices.SortStableFunc(e, func(a, b fs.DirEntry) int {
		if c := strings.Compare(a.Name(), b.Name()); c != 0 {
			return c
		}
		// Files first, so Compact below keeps them.
		switch {
		case !a.IsDir() && b.IsDir():
			return -1
		case a.IsDir() && !b.IsDir():
			return 1
		}
		return 0
	})
	*ents = slices.CompactFunc(e, func(a, b fs.DirEntry) bool { return a.Name() == b.Name() })
}
