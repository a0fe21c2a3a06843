package cloudfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"
)

// bulkConcurrency bounds the requests RemoveAll and Rename of a directory
// keep in flight.
const bulkConcurrency = 16

// Writer streams a new object. Nothing is visible under its name until Close
// returns nil: a failed or aborted write leaves any previous object intact.
// Data is uploaded in parts of Options.PartSize, so memory stays bounded by
// the part size whatever the object's size.
type Writer struct {
	name   string
	ctx    context.Context
	lc     *listCache
	bucket bucketRef
	w      io.WriteCloser // a *blob.Writer, a registered Uploader's, or a *pipedUpload (Azure)
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
}

var _ io.WriteCloser = (*Writer)(nil)

// Create starts writing the file name, replacing any file of that name
// when the returned Writer is closed. Parent directories are implicit.
// Create fails with fs.ErrExist if name is a directory.
func (f *FS) Create(name string) (*Writer, error) {
	if err := f.begin("open", name, false); err != nil {
		return nil, err
	}
	if err := f.checkWritable(f.ctx, "open", name); err != nil {
		return nil, err
	}
	// A cancelled context is how gocloud aborts an upload, so the writer
	// owns one: Abort cancels it, and so does the end of f's context.
	ctx, cancelCtx := context.WithCancel(f.ctx)
	done := f.local.startWrite(f.key(name))
	created := f.wc.creating(f.key(name))
	cancel := func() { cancelCtx(); done(); created() }
	var w io.WriteCloser
	for _, up := range uploaders() {
		if uw, ok := up(ctx, f.b, f.key(name), f.opts); ok {
			w = uw
			break
		}
	}
	if w == nil && f.onAzure() {
		w = &pipedUpload{ctx: ctx, b: f.b, key: f.key(name), opts: *f.writerOptions()}
	}
	if w == nil {
		bw, err := f.b.NewWriter(ctx, f.key(name), f.writerOptions())
		if err != nil {
			cancel()
			return nil, f.bucket.pathError("open", name, err)
		}
		w = bw
	}
	return &Writer{name: name, ctx: ctx, lc: f.lc, bucket: f.bucket, w: w, cancel: cancel}, nil
}

func (f *FS) writerOptions() *blob.WriterOptions {
	return &blob.WriterOptions{BufferSize: f.opts.PartSize, MaxConcurrency: f.opts.Concurrency}
}

// checkWritable returns the error os would give for writing a file at
// name: errIsDir if it is a directory, errNotDir if a file lies on its
// path (where an object store would happily store "f/x" beside the file
// "f"), errReserved for names file:// keeps for itself. What earlier
// checks learnt is not asked again (see writeChecks); the rest runs
// concurrently: a listing of name, and a HEAD per parent directory. The
// first check in a directory lists it too: if it is empty (a new
// directory), the next names written in it need no check at all.
func (f *FS) checkWritable(ctx context.Context, op, name string) error {
	key := f.key(name)
	if f.local.reserved(key) {
		return &fs.PathError{Op: op, Path: name, Err: errReserved}
	}
	mark := f.wc.begin()
	var isDir bool
	var also func(context.Context) error
	if !f.wc.knownNoDir(key) {
		also = func(ctx context.Context) error {
			g, ctx := errgroup.WithContext(ctx)
			g.Go(func() (err error) {
				isDir, err = f.isDir(ctx, name)
				if err == nil && !isDir {
					f.wc.learn(mark, nil, key, "")
				}
				return err
			})
			if p := parentDir(name); p != "." && !f.wc.knownNoFile(f.key(p)) {
				g.Go(func() error {
					used, err := f.isDir(ctx, p)
					if err == nil && !used {
						f.wc.learn(mark, nil, "", f.key(p))
					}
					return err
				})
			}
			return g.Wait()
		}
	}
	fileAt, err := f.filesOnPath(ctx, name, also)
	switch {
	case err != nil:
		return f.bucket.pathError(op, name, err)
	case fileAt != "":
		return &fs.PathError{Op: op, Path: name, Err: errNotDir}
	case isDir:
		return &fs.PathError{Op: op, Path: name, Err: errIsDir}
	}
	f.local.removeEmptyDir(key)
	return nil
}

// filesOnPath returns the nearest parent directory of name that is a file
// ("" if none), running also (if not nil) with the parents' checks.
// Parents known to be no file are not asked again.
func (f *FS) filesOnPath(ctx context.Context, name string, also func(context.Context) error) (string, error) {
	mark := f.wc.begin()
	var parents []string
	for p := parentDir(name); p != "."; p = parentDir(p) {
		if !f.wc.knownNoFile(f.key(p)) {
			parents = append(parents, p)
		}
	}
	found := make([]bool, len(parents))
	g, gctx := errgroup.WithContext(ctx)
	if also != nil {
		g.Go(func() error { return also(gctx) })
	}
	for i, p := range parents {
		g.Go(func() (err error) {
			found[i], err = f.exists(gctx, p)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	var noFile []string
	for i, p := range parents {
		if !found[i] {
			noFile = append(noFile, f.key(p))
		}
	}
	f.wc.learn(mark, noFile, "", "")
	for i := len(parents) - 1; i >= 0; i-- {
		if found[i] {
			return parents[i], nil // the highest, where os's lookup stops
		}
	}
	return "", nil
}

// Write buffers p into the current part, uploading full parts.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, &fs.PathError{Op: "write", Path: w.name, Err: fs.ErrClosed}
	}
	if err := w.ctx.Err(); err != nil {
		return 0, &fs.PathError{Op: "write", Path: w.name, Err: err}
	}
	n, err := w.w.Write(p)
	if err != nil {
		return n, w.bucket.pathError("write", w.name, err)
	}
	return n, nil
}

// Close uploads the last part and completes the object; only then is it
// visible. A second Close reports fs.ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return &fs.PathError{Op: "close", Path: w.name, Err: fs.ErrClosed}
	}
	w.closed = true
	if err := w.ctx.Err(); err != nil {
		// Some drivers would still complete the object; an ended context
		// means the write did not happen.
		w.cancel()
		_ = closeWriter(w.bucket, w.name, w.w)
		return &fs.PathError{Op: "close", Path: w.name, Err: err}
	}
	err := closeWriter(w.bucket, w.name, w.w)
	w.cancel()
	w.lc.invalidate()
	if err != nil {
		return w.bucket.pathError("close", w.name, err)
	}
	return nil
}

// Abort discards the write: the object is not created, and a previous
// object of that name is kept. Abort after Close does nothing.
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	w.cancel()
	_ = closeWriter(w.bucket, w.name, w.w) // reports the cancellation, which is the point
}

// closeWriter closes the writer of the file name, turning a driver panic
// into an error: azureblob's Close panics when an upload fails after Close
// began, and an FS made by New cannot avoid that writer (see azupload.go).
func closeWriter(b bucketRef, name string, w io.Closer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = b.driverPanicked(name, r)
		}
	}()
	return w.Close()
}

// WriteFile writes data to the file name in one request, replacing any file
// of that name; it is visible only once WriteFile returns nil.
// Parent directories are implicit. WriteFile fails with fs.ErrExist if name
// is a directory.
func (f *FS) WriteFile(name string, data []byte) error {
	if err := f.begin("open", name, false); err != nil {
		return err
	}
	if err := f.checkWritable(f.ctx, "open", name); err != nil {
		return err
	}
	defer f.lc.invalidate()
	defer f.local.startWrite(f.key(name))()
	defer f.wc.creating(f.key(name))()
	for _, up := range uploaders() {
		if uw, ok := up(f.ctx, f.b, f.key(name), f.opts); ok {
			return writeAll(f.bucket, uw, name, data)
		}
	}
	opts := f.writerOptions()
	// The data is all here: a buffer of the part size would only cost
	// (gcsblob allocates its chunk buffer whole, 8 MiB for a 1-byte file).
	// 256 KiB is GCS's chunk granularity; S3 needs 5 MiB only for parts,
	// and data under its 16 MiB multipart threshold is one PutObject.
	const chunk = 256 << 10
	opts.BufferSize = min(opts.BufferSize, max(chunk, (len(data)+chunk-1)/chunk*chunk))
	if err := f.putAll(f.ctx, name, data, opts); err != nil {
		return f.bucket.pathError("write", name, err)
	}
	return nil
}

// writeAll writes data as a whole object through an Uploader's writer:
// with its WriteAll if it has one (see Uploader), else Write and Close.
func writeAll(b bucketRef, w io.WriteCloser, name string, data []byte) error {
	var err error
	if wa, ok := w.(interface{ WriteAll(p []byte) error }); ok {
		err = wa.WriteAll(data)
	} else if _, err = w.Write(data); err == nil {
		err = closeWriter(b, name, w)
	} else {
		_ = closeWriter(b, name, w) // the Uploader discards a failed upload
	}
	if err != nil {
		return b.pathError("write", name, err)
	}
	return nil
}

// Remove removes the file name, as os.Remove does. A directory with files
// in it is not removed (syscall.ENOTEMPTY, which matches fs.ErrExist); an
// empty one does not exist, apart from a "dir/" marker object, which
// Remove deletes.
func (f *FS) Remove(name string) error {
	if err := f.begin("remove", name, false); err != nil {
		return err
	}
	defer f.lc.invalidate()
	key := f.key(name)
	var err error
	switch {
	case f.local.reserved(key):
		err = errReservedMissing
	case f.local.isDirOnDisk(key):
		// fileblob's Delete would remove an empty directory and say nil.
		err = &kindError{kind: fs.ErrNotExist, err: errIsDir}
	default:
		if err = f.b.Delete(f.ctx, key); err == nil {
			f.local.prune(key)
			return nil
		}
	}
	if !isNotExist(err) && !isDirErr(err) && !errors.Is(err, fs.ErrNotExist) {
		return f.bucket.pathError("remove", name, err)
	}
	objs, _, lerr := f.b.ListPage(f.ctx, blob.FirstPageToken, 2, &blob.ListOptions{Prefix: f.dirPrefix(name)})
	if lerr != nil {
		return f.bucket.pathError("remove", name, lerr)
	}
	objs = f.local.fixAll(objs)
	switch {
	case len(objs) == 0:
		f.local.prune(key + "/x") // an empty directory left on disk
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	case len(objs) == 1 && objs[0].Key == f.dirPrefix(name):
		if err := f.b.Delete(f.ctx, objs[0].Key); err != nil && !isNotExist(err) {
			return f.bucket.pathError("remove", name, err)
		}
		return nil
	default:
		return &fs.PathError{Op: "remove", Path: name, Err: errNotEmpty}
	}
}

// RemoveFiles removes the named files, as Remove does each, except that a
// name that does not exist, or is a directory, is left without an error:
// for a program dropping objects it wrote itself, which needs no answer
// per name. Where a registered Deleter handles the bucket (S3, with
// cloudfs/s3upload linked) the names go in as few requests as the store
// takes (one DeleteObjects per 1000 names), with no HEAD before each; other
// stores get a Delete per name, concurrently, and a listing more if a name
// was missing, since their Delete says the same of a missing bucket. A
// bucket that does not exist is an error (fs.ErrNotExist, naming the
// bucket), never a silent success. On an error some files may be left, and
// RemoveFiles can simply be called again.
func (f *FS) RemoveFiles(names ...string) error {
	keys := make([]string, 0, len(names))
	for _, name := range names {
		if err := f.begin("remove", name, false); err != nil {
			return err
		}
		if key := f.key(name); !f.local.reserved(key) && !f.local.isDirOnDisk(key) {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	defer f.lc.invalidate()
	for _, d := range deleters() {
		if ok, err := d(f.ctx, f.b, keys); ok {
			if err != nil {
				return f.bucket.pathError("remove", names[0], err)
			}
			return nil
		}
	}
	// A Delete on a bucket that does not exist is NotFound, as for a
	// missing key (S3's and GCS's say nothing else; Azure's text says
	// ContainerNotFound), and skipping it as a name already removed told
	// the caller its files were gone. So a missing name is looked at once
	// more, by a listing, which fails on a missing bucket: one request per
	// call, and only when something was missing.
	var missingMu sync.Mutex
	missing := ""
	err := f.each(f.ctx, keys, func(ctx context.Context, key string) error {
		err := f.b.Delete(ctx, key)
		if err == nil {
			return nil
		}
		if kind, _ := bucketProblem(err); kind == nil {
			switch {
			case isDirErr(err):
				return nil
			case isNotExist(err):
				missingMu.Lock()
				missing = key
				missingMu.Unlock()
				return nil
			}
		}
		return f.bucket.pathError("remove", strings.TrimPrefix(key, f.root), err)
	})
	if err == nil && missing != "" {
		if _, _, lerr := f.b.ListPage(f.ctx, blob.FirstPageToken, 1, &blob.ListOptions{Prefix: missing}); lerr != nil {
			err = f.bucket.pathError("remove", strings.TrimPrefix(missing, f.root), lerr)
		}
	}
	f.local.prune(keys...)
	return err
}

// RemoveAll removes name and everything below it, as os.RemoveAll does. It
// returns nil if name does not exist. Deletes run concurrently; on an error
// some objects may be left, and RemoveAll can simply be called again.
func (f *FS) RemoveAll(name string) error {
	if err := f.begin("RemoveAll", name, false); err != nil {
		return err
	}
	defer f.lc.invalidate()
	g, ctx := errgroup.WithContext(f.ctx)
	g.SetLimit(bulkConcurrency)
	del := func(key string) {
		g.Go(func() error {
			if err := f.b.Delete(ctx, key); err != nil && !isNotExist(err) && !isDirErr(err) {
				return err
			}
			return nil
		})
	}
	if key := f.key(name); !f.local.reserved(key) && !f.local.isDirOnDisk(key) {
		del(key)
	}
	it := f.b.List(&blob.ListOptions{Prefix: f.dirPrefix(name)})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			_ = g.Wait()
			return f.bucket.pathError("RemoveAll", name, err)
		}
		del(obj.Key)
	}
	if err := g.Wait(); err != nil {
		return f.bucket.pathError("RemoveAll", name, err)
	}
	if f.local != nil {
		// What listings do not show (empty directories, links to
		// directories) goes too, as with os.RemoveAll.
		if p := f.local.path(f.key(name)); p != "" && f.local.isDirOnDisk(f.key(name)) {
			if err := os.RemoveAll(p); err != nil {
				return f.bucket.pathError("RemoveAll", name, err)
			}
		}
		f.local.prune(f.key(name))
	}
	return nil
}

// MkdirAll checks that name could be a directory and does nothing else:
// directories are implicit in object keys, so one exists as soon as a file
// is written below it. It fails with syscall.ENOTDIR, as os.MkdirAll does,
// if name or one of its parents is a file.
func (f *FS) MkdirAll(name string) error {
	if err := f.begin("mkdir", name, true); err != nil {
		return err
	}
	if name == "." {
		return nil
	}
	var isFile bool
	fileAt, err := f.filesOnPath(f.ctx, name, func(ctx context.Context) (err error) {
		isFile, err = f.exists(ctx, name)
		return err
	})
	if err != nil {
		return f.bucket.pathError("mkdir", name, err)
	}
	if fileAt != "" || isFile {
		return &fs.PathError{Op: "mkdir", Path: name, Err: errNotDir}
	}
	return nil
}

func parentDir(name string) string {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "."
	}
	return name[:i]
}

// Rename renames a file or a directory, as os.Rename does, and fails as it
// does, with an *os.LinkError: a file replaces an existing file at
// newname; nothing replaces a directory (syscall.EEXIST, even for
// Rename(d, d)); a directory does not replace a file (syscall.ENOTDIR),
// nor move inside itself (fs.ErrInvalid); a file on newname's path gives
// syscall.ENOTDIR. Parents of newname are implicit.
//
// Object stores cannot rename, so a file is copied and then deleted, and a
// directory is copied object by object and its old objects deleted only
// once every copy succeeded: a failure leaves the old tree whole (and
// possibly part of a new one).
func (f *FS) Rename(oldname, newname string) error {
	fail := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	for _, n := range []string{oldname, newname} {
		if err := f.begin("rename", n, false); err != nil {
			return fail(err.(*fs.PathError).Err)
		}
	}
	defer f.lc.invalidate()
	ctx := f.ctx
	if f.local.reserved(f.key(newname)) {
		return fail(errReserved)
	}
	// What both names are, in one round of concurrent requests.
	var oldFile, oldDir, newFile, newDir bool
	fileOnNewPath, err := f.filesOnPath(ctx, newname, func(ctx context.Context) error {
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { oldFile, err = f.exists(ctx, oldname); return err })
		g.Go(func() (err error) { oldDir, err = f.isDir(ctx, oldname); return err })
		g.Go(func() (err error) { newFile, err = f.exists(ctx, newname); return err })
		g.Go(func() (err error) { newDir, err = f.isDir(ctx, newname); return err })
		return g.Wait()
	})
	if err != nil {
		return fail(f.bucket.pathError("rename", oldname, err).(*fs.PathError).Err)
	}
	// In the order os.Rename checks (on Linux).
	switch {
	case newDir && !newFile:
		if !oldFile && !oldDir {
			return fail(fs.ErrNotExist)
		}
		return fail(errExist)
	case !oldFile && !oldDir:
		return fail(fs.ErrNotExist)
	case fileOnNewPath != "":
		return fail(errNotDir)
	case oldFile:
		if oldname == newname {
			return nil
		}
		f.local.removeEmptyDir(f.key(newname))
		defer f.wc.creating(f.key(newname))()
		if err := f.b.Copy(ctx, f.key(newname), f.key(oldname), nil); err != nil {
			return fail(f.bucket.pathError("rename", oldname, err).(*fs.PathError).Err)
		}
		if err := f.b.Delete(ctx, f.key(oldname)); err != nil && !isNotExist(err) {
			return fail(f.bucket.pathError("rename", oldname, err).(*fs.PathError).Err)
		}
		f.local.prune(f.key(oldname))
		return nil
	case strings.HasPrefix(newname+"/", oldname+"/"):
		return fail(fmt.Errorf("a directory cannot move inside itself: %w", fs.ErrInvalid))
	case newFile:
		return fail(errNotDir)
	}
	// A directory.
	oldPrefix, newPrefix := f.dirPrefix(oldname), f.dirPrefix(newname)
	var keys []string
	it := f.b.List(&blob.ListOptions{Prefix: oldPrefix})
	for {
		obj, lerr := it.Next(ctx)
		if lerr == io.EOF {
			break
		}
		if lerr != nil {
			return fail(f.bucket.pathError("rename", oldname, lerr).(*fs.PathError).Err)
		}
		if _, ok := f.local.fix(obj); ok {
			keys = append(keys, obj.Key)
		}
	}
	if len(keys) == 0 {
		return fail(fs.ErrNotExist) // emptied since the checks above
	}
	newKeys := make([]string, len(keys))
	for i, k := range keys {
		newKeys[i] = newPrefix + strings.TrimPrefix(k, oldPrefix)
	}
	defer f.wc.creating(newKeys...)()
	if err := f.each(ctx, keys, func(ctx context.Context, k string) error {
		return f.b.Copy(ctx, newPrefix+strings.TrimPrefix(k, oldPrefix), k, nil)
	}); err != nil {
		return fail(f.bucket.pathError("rename", oldname, err).(*fs.PathError).Err)
	}
	if err := f.each(ctx, keys, func(ctx context.Context, k string) error {
		if err := f.b.Delete(ctx, k); err != nil && !isNotExist(err) {
			return err
		}
		return nil
	}); err != nil {
		return fail(f.bucket.pathError("rename", oldname, err).(*fs.PathError).Err)
	}
	f.local.prune(keys...)
	return nil
}

// each runs fn on every key with bounded concurrency; the first error
// stops the rest.
func (f *FS) each(ctx context.Context, keys []string, fn func(context.Context, string) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(bulkConcurrency)
	for _, k := range keys {
		g.Go(func() error { return fn(ctx, k) })
	}
	return g.Wait()
}

// exists reports whether the file name exists.
func (f *FS) exists(ctx context.Context, name string) (bool, error) {
	_, err := f.attributes(ctx, name)
	switch {
	case err == nil:
		return true, nil
	case isNotExist(err):
		return false, nil
	}
	return false, err
}

// An Uploader streams one object to a bucket when the driver's own writer
// would hold more than Options.PartSize*Options.Concurrency bytes. It
// returns ok=false for buckets it does not handle. The returned writer's
// Close completes the object; if ctx has ended by then, Close must discard
// the upload and return an error, so the object never appears.
//
// WriteFile uses it too. If the writer has a method WriteAll(p []byte)
// error, WriteFile calls that alone, with the whole object, instead of
// Write and Close: it must complete the object as Close would, or leave
// nothing, and may send p without copying it (S3: one PutObject, where
// gocloud's writer also hashes p twice for a check S3 does not make).
// Until then the writer should hold no buffer.
type Uploader func(ctx context.Context, b *blob.Bucket, key string, opts Options) (w io.WriteCloser, ok bool)

var (
	uploadersMu  sync.Mutex
	uploaderList []Uploader
)

// RegisterUploader adds an Uploader that Create tries before the driver's
// writer. Driver packages such as cloudfs/s3upload call it in init, so a
// program opts in with a blank import.
func RegisterUploader(u Uploader) {
	uploadersMu.Lock()
	defer uploadersMu.Unlock()
	uploaderList = append(uploaderList, u)
}

func uploaders() []Uploader {
	uploadersMu.Lock()
	defer uploadersMu.Unlock()
	return uploaderList
}

// A Deleter deletes many objects of a bucket in as few requests as its
// store takes, a missing key being no error. It returns ok=false, having
// sent nothing, for buckets or keys it does not handle.
type Deleter func(ctx context.Context, b *blob.Bucket, keys []string) (ok bool, err error)

var (
	deletersMu  sync.Mutex
	deleterList []Deleter
)

// RegisterDeleter adds a Deleter that RemoveFiles tries before a Delete
// per name. Driver packages such as cloudfs/s3upload call it in init.
func RegisterDeleter(d Deleter) {
	deletersMu.Lock()
	defer deletersMu.Unlock()
	deleterList = append(deleterList, d)
}

func deleters() []Deleter {
	deletersMu.Lock()
	defer deletersMu.Unlock()
	return deleterList
}
