package cloudfs

import (
	"io/fs"

	"gocloud.dev/gcerrors"
)

// CreateExclusive writes data as a new file name, failing with fs.ErrExist if
// name exists: the store's conditional write (If-None-Match on S3 and GCS,
// If-None-Match on Azure, the memory driver's lock), so of two processes
// creating one name at once exactly one succeeds. The file driver checks and
// renames under a lock of this process only, so two processes on one
// directory may both succeed.
func (f *FS) CreateExclusive(name string, data []byte) error {
	if err := f.begin("create", name, false); err != nil {
		return err
	}
	if err := f.checkWritable(f.ctx, "create", name); err != nil {
		return err
	}
	defer f.lc.invalidate()
	defer f.wc.creating(f.key(name))()
	opts := f.writerOptions()
	opts.BufferSize = 256 << 10
	opts.IfNotExist = true
	if err := f.putAll(f.ctx, name, data, opts); err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			// Only here does a failed precondition mean the name exists
			// (a pinned read's means the object changed); pathError
			// makes it the bare fs.ErrExist, which os.IsExist sees.
			err = &kindError{kind: fs.ErrExist, err: err}
		}
		return f.bucket.pathError("create", name, err)
	}
	return nil
}
