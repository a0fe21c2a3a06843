// Package cloudfs presents an object store — S3, GCS, Azure Blob, IBM COS,
// MinIO, a local directory or memory — as a file system: the read side is
// io/fs (so fs.ReadFile, fs.WalkDir, fs.Glob, fs.Sub and testing/fstest all
// work), and the write side has the shapes of package os (Create, WriteFile,
// Remove, RemoveAll, Rename, MkdirAll).
//
// A file system is opened from a gocloud.dev/blob URL:
//
//	fsys, err := cloudfs.Open(ctx, "s3://my-bucket?region=eu-west-1&prefix=runs/42/")
//	if err != nil { ... }
//	defer fsys.Close()
//	if err := fsys.WriteFile("state/replica-3.json", data); err != nil { ... }
//	data, err := fs.ReadFile(fsys, "state/replica-3.json")
//
// mem:// and file:// work out of the box. For cloud stores, blank-import the
// gocloud driver (gocloud.dev/blob/s3blob, gcsblob or azureblob), so programs
// that do not use a cloud never link its SDK; for S3 and Azure, better
// cloudfs/s3upload and cloudfs/azblobpin, which register those drivers and
// add bounded uploads (S3) and reads pinned by ETag (see File).
//
// # Directories
//
// Object stores have no directories, only keys. cloudfs treats "/" in a key
// as a path separator: a directory exists while some key lies below it.
// Listings carry each file's size and modification time, so fs.WalkDir
// makes no request per file. Nor does it make one per directory: ReadDir
// of a directory also starts a flat listing of everything below it (one
// request per thousand keys), and the ReadDir calls of a walk below are
// answered from that, so a walk costs about one flat listing of the same
// keys. A plain ReadDir costs one request when its subtree has at most a
// thousand keys, and otherwise that page plus one delimiter listing.
// ReadDir always sees every write made through any view of this FS that
// returned before it was called; another program's writes show at most
// five seconds late. MkdirAll only checks its argument; empty
// directories do not exist. Keys that are not valid fs paths (such as "a//b",
// "./x" or a "dir/" marker object) are skipped by listings.
//
// # Writes
//
// Create streams in parts of Options.PartSize; the object appears only when
// Close returns nil, and Writer.Abort discards it. Drivers whose own writer
// buffers more than that can be given a leaner one with RegisterUploader.
// For S3, blank-import cloudfs/s3upload instead of gocloud.dev/blob/s3blob:
// it registers s3blob and an uploader holding one part, where s3blob's own
// writer holds several times the part size.
//
// # Contexts
//
// io/fs methods take no context, so an *FS carries one: Open's FS uses
// context.Background, and
//
//	cfs := fsys.WithContext(ctx)
//
// returns a view of the same bucket whose every call, including reads of
// files it opened and writes through writers it created, uses ctx. Views are
// cheap (a small struct copy), so bind one per request or per task.
//
// # Errors
//
// Errors are those of package os for the same mistakes: an *fs.PathError
// carrying the operation and the name (Rename: an *os.LinkError with both
// names). Its Err is fs.ErrNotExist or fs.ErrExist themselves, or the
// errno os would give (syscall.EISDIR for a file operation on a directory,
// syscall.ENOTDIR for a directory operation on a file or a file on the
// path, syscall.ENOTEMPTY, syscall.EEXIST), so both errors.Is and the old
// helpers os.IsNotExist and os.IsExist work. Other kinds (fs.ErrPermission,
// fs.ErrInvalid) keep the driver's error beside the kind, so its text,
// gocloud.dev/gcerrors.Code and FS.ErrorAs still see what was refused.
// A call on a bucket (Azure: container) that does not exist is
// fs.ErrNotExist, as a file in a missing directory is for os, but its text
// names the bucket and, if the name breaks the store's rules, says what
// names the store takes; a name the store refuses is fs.ErrInvalid. (GCS
// answers a read in a missing bucket as a missing object; Open, ReadFile
// and Stat then ask a listing, which tells.)
//
// Where an object store differs from a disk by design: a name below a file
// ("f/x" where f is a file) is simply missing for reads and deletes (os:
// ENOTDIR); writes check the path and fail as os does. The root of a
// prefix (Open's prefix=, or Sub) is a directory like any other: with no
// keys below it, it does not exist, as os.DirFS of a missing directory.
// A write's checks are remembered, so another program's file on the path
// is seen at most five seconds late, as its writes are by ReadDir.
// On file://, names ending in ".attrs" are reserved by gocloud's fileblob:
// writing one is fs.ErrInvalid, and none exists.
package cloudfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// is always available
	_ "gocloud.dev/blob/memblob"  // mem:// is always available
	"gocloud.dev/gcerrors"

	"github.com/burst-dev/burst/internal/inworker"
	"github.com/burst-dev/burst/internal/redact"
)

// DefaultPartSize is the size of the parts a Writer uploads, and so the
// bound on the memory one Writer holds per upload stream.
const DefaultPartSize = 8 << 20

// readChunk bounds one Read of ReadFile.
const readChunk = 256 << 10

// FS is a file system over one bucket, rooted at a key prefix.
// It implements fs.FS, fs.ReadFileFS, fs.ReadDirFS, fs.StatFS, fs.SubFS and
// fs.GlobFS. An FS is safe for concurrent use.
type FS struct {
	b    *blob.Bucket
	root string // key prefix: "" or ends with "/"
	ctx  context.Context
	opts Options
	lc   *listCache // subtree scans, shared by all views of the bucket
	wc   *writeChecks
	// local is set for file:// buckets opened by Open, whose directory
	// cloudfs tidies after fileblob (see localDir).
	local *localDir
	// bucket is Open's bucket, for errors about it (see bucketRef).
	bucket bucketRef
}

// Options tune an FS. The zero value is the default.
type Options struct {
	// PartSize is the size in bytes of each part of a streaming upload
	// (Create); a Writer holds about PartSize*Concurrency bytes.
	// 0 means DefaultPartSize. Some services have minimums (S3: 5 MiB).
	PartSize int
	// Concurrency is how many parts of one upload may be in flight.
	// 0 means 1, which keeps memory bounded by PartSize.
	Concurrency int
	// ReadCache is the bytes one File keeps of the ranges its ReadAt
	// fetched (see File); a File holds at most this much, plus one fetch
	// in flight per concurrent ReadAt. 0 means DefaultReadCache; a
	// negative value turns the cache off (one request per ReadAt).
	ReadCache int
}

var (
	_ fs.ReadFileFS = (*FS)(nil)
	_ fs.ReadDirFS  = (*FS)(nil)
	_ fs.StatFS     = (*FS)(nil)
	_ fs.SubFS      = (*FS)(nil)
	_ fs.GlobFS     = (*FS)(nil)
)

// fileDir is the directory of a file:// URL, as fileblob's URL opener finds
// it.
func fileDir(u *url.URL) string {
	p := u.Path
	if u.Host == "." || os.PathSeparator != '/' {
		p = strings.TrimPrefix(p, "/")
	}
	return filepath.FromSlash(p)
}

// Open opens the file system named by a gocloud.dev/blob URL, for example
//
//	mem://
//	file:///var/data/runs
//	s3://bucket?region=us-east-1
//	s3://bucket?endpoint=https://s3.eu-de.cloud-object-storage.appdomain.cloud&region=eu-de&use_path_style=true
//	gs://bucket
//	azblob://container
//
// Besides the driver's own query parameters, Open accepts
//
//	prefix=runs/42/   root the file system at this key prefix (a directory)
//	part_size=16MiB   Options.PartSize (bytes, or with a KiB/MiB/GiB suffix)
//	part_concurrency=4   Options.Concurrency
//	read_cache=16MiB   Options.ReadCache (bytes with an optional suffix, or "off")
//
// ctx is used only to open the bucket; see WithContext for calls. mem:// is
// refused in a burst worker process, where the bucket would be the worker's
// own and not the driver's.
func Open(ctx context.Context, urlstr string) (*FS, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, fmt.Errorf("cloudfs: open %q: %w", redact.URL(urlstr), redact.Error(err))
	}
	if u.Scheme == "mem" {
		if m := inworker.Mode(); m != "" {
			// Each worker process would get an empty bucket of its own, and
			// what a function wrote would be lost without an error.
			return nil, fmt.Errorf("cloudfs: open %q: this process is a burst worker (%s), where a mem:// bucket is the worker's own, seen neither by the driver nor by other workers; use an object store the driver also reaches (s3://, gs://, azblob://, file:// on a shared disk), or the driver's storage from providers.StorageFromContext(ctx)",
				redact.URL(urlstr), m)
		}
	}
	q := u.Query()
	var opts Options
	root := ""
	if v := q.Get("prefix"); v != "" {
		p := strings.Trim(v, "/")
		if p != "" && !fs.ValidPath(p) {
			return nil, fmt.Errorf("cloudfs: open %q: prefix %q is not a valid slash-separated path (want e.g. runs/42/)", redact.URL(urlstr), v)
		}
		if p != "" {
			root = p + "/"
		}
	}
	if v := q.Get("part_size"); v != "" {
		n, err := parseSize(v)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("cloudfs: open %q: part_size %q: want a positive byte count such as 8388608 or 8MiB", redact.URL(urlstr), v)
		}
		opts.PartSize = n
	}
	if v := q.Get("part_concurrency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("cloudfs: open %q: part_concurrency %q: want a positive integer", redact.URL(urlstr), v)
		}
		opts.Concurrency = n
	}
	if v := q.Get("read_cache"); v != "" {
		n, err := parseSize(v)
		switch {
		case v == "off":
			opts.ReadCache = -1
		case err != nil || n <= 0:
			return nil, fmt.Errorf("cloudfs: open %q: read_cache %q: want a positive byte count such as 8MiB, or off", redact.URL(urlstr), v)
		default:
			opts.ReadCache = n
		}
	}
	// The prefix is applied here rather than by gocloud, so that Sub views
	// share one bucket and As reaches the driver's own client.
	q.Del("prefix")
	q.Del("part_size")
	q.Del("part_concurrency")
	q.Del("read_cache")
	if u.Scheme == "file" && !q.Has("no_tmp_dir") && onOtherDevice(fileDir(u), os.TempDir()) {
		// fileblob writes each file in os.TempDir and renames it into
		// place, which fails on every write (EXDEV) when the bucket is on
		// another file system; its own option writes beside the file.
		q.Set("no_tmp_dir", "1")
	}
	u.RawQuery = q.Encode()
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("cloudfs: open %q: %w", redact.URL(urlstr), redact.Error(err))
	}
	f := New(b, &opts)
	f.root = root
	switch u.Scheme {
	case "s3", "gs", "azblob":
		f.bucket = bucketRef{scheme: u.Scheme, name: u.Host}
	}
	if u.Scheme == "file" {
		if abs, err := filepath.Abs(fileDir(u)); err == nil {
			f.local = &localDir{dir: abs}
			f.lc.fix = f.local.fixAll
		}
	}
	switch u.Scheme {
	case "s3", "gs", "azblob", "mem":
		// These list keys in ascending byte order; fileblob lists in the
		// order of a directory walk.
		f.lc.byteOrder = true
	}
	return f, nil
}

func parseSize(s string) (int, error) {
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > math.MaxInt/mult {
		return 0, fmt.Errorf("size %s×%d is out of range", s, mult)
	}
	return n * mult, nil
}

// New returns a file system over an open bucket, for buckets built with a
// driver's own constructor. Closing the FS closes b. opts may be nil.
// Such an FS does not know its bucket's name or store: an error about a
// missing bucket names none, and on Azure Blob Storage a failed upload
// loses its cause to a driver bug (see azupload.go), so a CreateExclusive
// of an existing name fails without fs.ErrExist; Open azblob:// URLs.
func New(b *blob.Bucket, opts *Options) *FS {
	f := &FS{b: b, ctx: context.Background(), lc: newListCache(), wc: newWriteChecks()}
	if opts != nil {
		f.opts = *opts
	}
	if f.opts.PartSize <= 0 {
		f.opts.PartSize = DefaultPartSize
	}
	if f.opts.Concurrency <= 0 {
		f.opts.Concurrency = 1
	}
	return f
}

// WithContext returns a view of fsys whose calls use ctx: every method of
// the view, and every File and Writer it returns, stops when ctx ends.
// The view shares the bucket with fsys.
func (f *FS) WithContext(ctx context.Context) *FS {
	if ctx == nil {
		panic("cloudfs: nil Context")
	}
	g := *f
	g.ctx = ctx
	return &g
}

// Context returns the context the FS's calls use.
func (f *FS) Context() context.Context { return f.ctx }

// Close closes the bucket. It is shared by all views made with WithContext
// and Sub, so close only the FS that Open returned.
func (f *FS) Close() error {
	f.lc.invalidate() // ends the scans' goroutines now, not when idle
	if err := f.b.Close(); err != nil {
		return fmt.Errorf("cloudfs: close: %w", err)
	}
	return nil
}

// As converts i to a driver-specific type, as blob.Bucket.As does: for
// example *s3.Client for s3blob, *storage.Client for gcsblob,
// *container.Client for azureblob. It reports whether it did.
func (f *FS) As(i any) bool { return f.b.As(i) }

// ErrorAs converts err, as returned by this FS, to a driver-specific error
// type, as blob.Bucket.ErrorAs does.
func (f *FS) ErrorAs(err error, i any) bool { return f.b.ErrorAs(err, i) }

// Bucket returns the underlying bucket. Its keys include the FS's prefix.
func (f *FS) Bucket() *blob.Bucket { return f.b }

// Sub returns the file system rooted at dir, sharing the bucket.
func (f *FS) Sub(dir string) (fs.FS, error) {
	if !fs.ValidPath(dir) {
		return nil, &fs.PathError{Op: "sub", Path: dir, Err: errInvalidName}
	}
	if dir == "." {
		return f, nil
	}
	g := *f
	g.root = f.root + dir + "/"
	return &g, nil
}

// key is the object key of the file name.
func (f *FS) key(name string) string {
	if name == "." {
		return strings.TrimSuffix(f.root, "/")
	}
	return f.root + name
}

// dirPrefix is the key prefix of everything inside directory name.
func (f *FS) dirPrefix(name string) string {
	if name == "." {
		return f.root
	}
	return f.root + name + "/"
}

var (
	errInvalidName = fmt.Errorf("invalid name: want an unrooted slash-separated path without . or .. elements or trailing slash (see io/fs.ValidPath): %w", fs.ErrInvalid)
	errRoot        = fmt.Errorf("not allowed on the root directory: %w", fs.ErrInvalid)
	errReserved    = fmt.Errorf("names ending in %q are reserved by the file:// driver for its metadata files: %w", attrsExt, fs.ErrInvalid)
)

// The errors os returns for the same mistakes. A *fs.PathError holds them,
// or fs.ErrNotExist and fs.ErrExist, directly, because os.IsNotExist and
// os.IsExist look only one *fs.PathError deep and do not follow wrapping:
// so both those and errors.Is work.
const (
	errIsDir    = syscall.EISDIR    // a file operation on a directory
	errNotDir   = syscall.ENOTDIR   // a directory operation on a file, or a path through a file
	errNotEmpty = syscall.ENOTEMPTY // Remove of a directory with files in it; errors.Is(err, fs.ErrExist)
	errExist    = syscall.EEXIST    // Rename onto a directory, as os.Rename; errors.Is(err, fs.ErrExist)
)

// kindError joins a portable io/fs error kind with the driver's error, so
// that errors.Is sees the kind and gcerrors/ErrorAs still see the cause.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.kind.Error() + ": " + e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// pathError wraps a bucket error for the user in an *fs.PathError naming
// op and the file system name. Not-found and already-exists become the
// bare fs.ErrNotExist and fs.ErrExist, for os.IsNotExist and os.IsExist
// (the driver's error adds nothing to them); other kinds (permission,
// invalid argument) keep the driver's error beside the kind, since its
// text says what was refused.
func pathError(op, name string, err error) error {
	if pe, ok := err.(*fs.PathError); ok && pe.Path == name {
		return err // already ours
	}
	if _, ok := err.(syscall.Errno); ok {
		return &fs.PathError{Op: op, Path: name, Err: err} // one of ours
	}
	switch kind := errKind(err); kind {
	case nil:
	case fs.ErrNotExist, fs.ErrExist:
		err = kind
	default:
		err = &kindError{kind: kind, err: err}
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// errKind is the io/fs kind of a bucket error: from gcerrors, or for the
// file driver from the os error inside; nil if none applies.
func errKind(err error) error {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fs.ErrNotExist
	case gcerrors.AlreadyExists:
		return fs.ErrExist
	case gcerrors.PermissionDenied:
		return fs.ErrPermission
	case gcerrors.InvalidArgument:
		return fs.ErrInvalid
	}
	if errors.Is(err, syscall.ENOTDIR) {
		return fs.ErrNotExist // the file driver, for a key below a file
	}
	for _, k := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, fs.ErrInvalid} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// isNotExist reports whether err says there is no object. The file driver
// reports a key below a file ("f/x") as ENOTDIR, which means the same.
func isNotExist(err error) bool {
	return gcerrors.Code(err) == gcerrors.NotFound || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrNotExist)
}

// isDirErr reports whether a delete failed because the key is a directory,
// which only the file driver can say.
func isDirErr(err error) bool {
	return errors.Is(err, syscall.EISDIR) || errors.Is(err, fs.ErrExist)
}

// begin checks a call's name, per fs.ValidPath ("." only where root is
// allowed), and that the FS's context has not ended: the memory and file
// drivers would not notice.
func (f *FS) begin(op, name string, root bool) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: errInvalidName}
	}
	if name == "." && !root {
		return &fs.PathError{Op: op, Path: name, Err: errRoot}
	}
	if err := f.ctx.Err(); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// modTime normalises a service time: list and head responses of some
// services differ below the second (S3's HEAD has one-second resolution),
// and fs.FileInfo from ReadDir must equal that from Stat.
func modTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Second).UTC()
}

// isDir reports whether some key lies below directory name.
func (f *FS) isDir(ctx context.Context, name string) (bool, error) {
	opts := &blob.ListOptions{Prefix: f.dirPrefix(name)}
	if f.local == nil {
		objs, _, err := f.b.ListPage(ctx, blob.FirstPageToken, 1, opts)
		return len(objs) > 0, err
	}
	// A link to a directory lists as a key but is no file.
	it := f.b.List(opts)
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if _, ok := f.local.fix(obj); ok {
			return true, nil
		}
	}
}

// attributes is Bucket.Attributes, with file://'s reserved names as
// missing files rather than fileblob's error.
func (f *FS) attributes(ctx context.Context, name string) (*blob.Attributes, error) {
	if f.local.reserved(f.key(name)) {
		return nil, errReservedMissing
	}
	return f.b.Attributes(ctx, f.key(name))
}

// reader is Bucket.NewRangeReader of the file name, with file://'s
// reserved names as missing files.
func (f *FS) reader(ctx context.Context, name string, off, length int64) (*blob.Reader, error) {
	if f.local.reserved(f.key(name)) {
		return nil, errReservedMissing
	}
	return f.b.NewRangeReader(ctx, f.key(name), off, length, nil)
}

// errReservedMissing is what reading a name file:// reserves finds.
var errReservedMissing = &kindError{kind: fs.ErrNotExist, err: errReserved}

// rootInfo is the FileInfo of the root directory. The root of a bucket
// always exists; the root of a prefix (Open's prefix=, or Sub) is a
// directory like any other and exists while some key lies below it, so a
// mistyped prefix reads as a missing directory, as os.DirFS of a missing
// directory does.
func (f *FS) rootInfo(ctx context.Context) (*fileInfo, error) {
	if f.root != "" {
		ok, err := f.isDir(ctx, ".")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fs.ErrNotExist
		}
	}
	return &fileInfo{name: ".", mode: fs.ModeDir | 0o755}, nil
}

// Stat returns the FileInfo of a file or directory without opening it.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	if err := f.begin("stat", name, true); err != nil {
		return nil, err
	}
	info, err := f.stat(f.ctx, name)
	if err != nil {
		return nil, f.bucket.pathError("stat", name, err)
	}
	return info, nil
}

func (f *FS) stat(ctx context.Context, name string) (*fileInfo, error) {
	if name == "." {
		return f.rootInfo(ctx)
	}
	a, err := f.attributes(ctx, name)
	if err == nil {
		return &fileInfo{name: path.Base(name), size: a.Size, mode: 0o644, modTime: modTime(a.ModTime), sys: a}, nil
	}
	if !isNotExist(err) {
		return nil, err
	}
	dir, derr := f.isDir(ctx, name)
	if derr != nil {
		return nil, derr
	}
	if dir {
		return &fileInfo{name: path.Base(name), mode: fs.ModeDir | 0o755}, nil
	}
	return nil, err
}

// openSpan is the range of Open's GET: what a Read or io.Copy streams
// from first, and at most what a File that is only read at offsets
// receives of it in vain.
const openSpan = minWindow

// Open opens a file for reading, or a directory for ReadDir.
//
// For a file, Open sends the GET that a following Read or io.Copy streams
// from, for the first MiB (a read beyond continues with one request for
// the rest); its response carries the size and modification time that
// Stat reports. So opening and reading a file costs one request, or two
// above a MiB. A first ReadAt keeps that response if it holds the whole
// object and otherwise closes it unread, as does a Seek away from offset
// 0; only the first MiB was asked for, so that is the most a program
// reading at offsets receives in vain.
func (f *FS) Open(name string) (fs.File, error) {
	if err := f.begin("open", name, true); err != nil {
		return nil, err
	}
	if name == "." {
		info, err := f.rootInfo(f.ctx)
		if err != nil {
			return nil, f.bucket.pathError("open", name, err)
		}
		return &dir{f: f, name: name, info: info}, nil
	}
	r, err := f.reader(f.ctx, name, 0, openSpan)
	if err != nil && !isNotExist(err) {
		// Some services refuse a range of an empty object.
		r, err = f.reader(f.ctx, name, 0, -1)
	}
	if err == nil {
		return newFile(f, name, r), nil
	}
	if !isNotExist(err) {
		return nil, f.bucket.pathError("open", name, err)
	}
	isDir, derr := f.isDir(f.ctx, name)
	if derr != nil {
		return nil, f.bucket.pathError("open", name, derr)
	}
	if !isDir {
		return nil, f.bucket.pathError("open", name, err)
	}
	return &dir{f: f, name: name, info: &fileInfo{name: path.Base(name), mode: fs.ModeDir | 0o755}}, nil
}

// ReadFile reads a whole file with one request.
func (f *FS) ReadFile(name string) ([]byte, error) {
	if err := f.begin("read", name, true); err != nil {
		return nil, err
	}
	if name == "." {
		if _, err := f.rootInfo(f.ctx); err != nil {
			return nil, f.bucket.pathError("read", name, err)
		}
		return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	r, err := f.reader(f.ctx, name, 0, -1)
	if err != nil {
		if isNotExist(err) {
			// Is it a directory, or is the bucket missing? GCS answers a
			// GET in a missing bucket as a missing object, but its listing
			// says which; so, as for Open and Stat, the question costs a
			// request only when the file is not there.
			dir, derr := f.isDir(f.ctx, name)
			if derr == nil && dir {
				return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
			}
			if kind, _ := bucketProblem(derr); kind != nil {
				err = derr
			}
		}
		return nil, f.bucket.pathError("read", name, err)
	}
	defer r.Close()
	// One allocation of the right size; the last Read confirms EOF.
	buf := make([]byte, 0, r.Size()+1)
	for {
		// Bounded reads: some drivers' readers cost in proportion to len(p).
		n, err := r.Read(buf[len(buf):min(cap(buf), len(buf)+readChunk)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return buf, nil
			}
			return nil, f.bucket.pathError("read", name, err)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// ReadDir lists a directory, sorted by name, with no request per entry;
// during a walk, from the flat listing of an ancestor (see Directories in
// the package documentation).
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.begin("readdir", name, true); err != nil {
		return nil, err
	}
	ents, err := f.readDir(f.ctx, name)
	if err != nil {
		return nil, f.bucket.pathError("readdir", name, err)
	}
	return ents, nil
}

func (f *FS) readDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	prefix := f.dirPrefix(name)
	ents, marker, ok, err := f.lc.lookup(ctx, prefix)
	if err != nil {
		return nil, err
	}
	if !ok {
		// Scan the subtree: if it fits one page, that page is the answer;
		// either way the scan serves the ReadDirs of a walk below.
		f.lc.start(ctx, f.b, prefix)
		if ents, marker, ok, err = f.lc.lookup(ctx, prefix); err != nil {
			return nil, err
		}
	}
	if !ok {
		if ents, marker, err = f.list(ctx, prefix); err != nil {
			return nil, err
		}
	}
	if len(ents) == 0 && !marker && (name != "." || f.root != "") {
		// Either an empty listing of a file name, or nothing at all.
		if _, err := f.attributes(ctx, name); err == nil {
			return nil, errNotDir
		}
		return nil, fs.ErrNotExist
	}
	return ents, nil
}

// list is one delimiter listing of the directory at prefix, sorted; marker
// reports a "prefix/" marker object.
func (f *FS) list(ctx context.Context, prefix string) (ents []fs.DirEntry, marker bool, err error) {
	it := f.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
	var ok bool
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, false, err
		}
		if obj, ok = f.local.fix(obj); !ok {
			continue
		}
		e, m, ok := dirEntry(prefix, obj)
		marker = marker || m
		if ok {
			ents = append(ents, e)
		}
	}
	sortEntries(&ents)
	return ents, marker, nil
}

// dirEntry is the entry for one object of a delimiter listing of the
// directory at prefix; marker reports a "prefix/" marker object (as
// consoles create), and ok is false for keys that are no path element.
func dirEntry(prefix string, obj *blob.ListObject) (e fs.DirEntry, marker, ok bool) {
	rel := strings.TrimPrefix(obj.Key, prefix)
	if obj.IsDir {
		rel = strings.TrimSuffix(rel, "/")
	}
	if rel == "" {
		return nil, true, false
	}
	if rel == "." || strings.Contains(rel, "/") || !fs.ValidPath(rel) {
		return nil, false, false // not representable as a path element
	}
	fi := &fileInfo{name: rel, mode: 0o644, size: obj.Size, modTime: modTime(obj.ModTime)}
	if obj.IsDir {
		fi = &fileInfo{name: rel, mode: fs.ModeDir | 0o755}
	}
	return fs.FileInfoToDirEntry(fi), false, true
}

// Glob returns the names of all files matching pattern, as fs.Glob does,
// listing each directory the pattern reaches once.
func (f *FS) Glob(pattern string) ([]string, error) {
	return fs.Glob(globView{f}, pattern)
}

// globView hides FS.Glob so fs.Glob falls back to ReadDir and Stat.
type globView struct{ f *FS }

func (g globView) Open(name string) (fs.File, error)          { return g.f.Open(name) }
func (g globView) Stat(name string) (fs.FileInfo, error)      { return g.f.Stat(name) }
func (g globView) ReadDir(name string) ([]fs.DirEntry, error) { return g.f.ReadDir(name) }
