// Package atomicfile replaces a file so that a reader, a writer killed at
// any moment, or (by default) a machine crash sees either the old file or
// the new one whole, never an empty or half-written one, and so that two
// writers of the same file never clash: the last rename wins, whole.
//
// The new content goes to a temporary file of its own (os.CreateTemp) in
// the target's directory, named TempPrefix(path) plus random digits; the
// file is synced, renamed over the target, and the directory is synced so
// that the rename itself survives a crash. On any error the temporary file
// is removed and the old file is left as it was.
//
//	err := atomicfile.WriteFile("out/checkpoint.json", b, 0o644)
//
// An error is an *fs.PathError naming the target (not the temporary file)
// that wraps the cause, so errors.Is(err, syscall.ENOSPC) and the like work.
package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// Option changes how Write and WriteFile replace a file.
type Option func(*options)

type options struct{ sync bool }

// Sync(false) skips both syncs (of the file and of its directory): the
// replace stays atomic for readers and for a killed process, but a crash of
// the machine may leave the old file, or an empty one, in its place. It is
// for files rewritten so often that the syncs would cost more than a
// crash's loss; the default is Sync(true).
func Sync(on bool) Option { return func(o *options) { o.sync = on } }

// TempPrefix is how the temporary file of a write to path begins (in the
// same directory): a program that finds such files left by a killed writer,
// while no writer can be running, may remove them.
func TempPrefix(path string) string { return filepath.Base(path) + ".tmp" }

// WriteFile replaces path with data, with permissions perm (set as given,
// as by os.Chmod: the umask does not apply).
func WriteFile(path string, data []byte, perm fs.FileMode, opts ...Option) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, opts...)
}

// Write replaces path with what fill writes, with permissions perm (set as
// given: the umask does not apply). An error of fill leaves path as it was
// and is returned wrapped, naming path.
func Write(path string, perm fs.FileMode, fill func(w io.Writer) error, opts ...Option) error {
	o := options{sync: true}
	for _, opt := range opts {
		opt(&o)
	}
	f, err := os.CreateTemp(filepath.Dir(path), TempPrefix(path)+"*")
	if err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: cause(err)}
	}
	tmp := f.Name()
	closed, renamed := false, false
	defer func() {
		// On every error, and when fill panics: no temporary file stays.
		if !renamed {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: cause(err)}
	}
	if err := fill(f); err != nil {
		// fill's own errors (say, reading its input) keep their paths;
		// only those that name the temporary file lose it.
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == tmp {
			err = pe.Err
		}
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	if o.sync {
		if err := f.Sync(); err != nil {
			return &fs.PathError{Op: "write", Path: path, Err: cause(err)}
		}
	}
	closed = true
	if err := f.Close(); err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: cause(err)}
	}
	if err := os.Rename(tmp, path); err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: cause(err)}
	}
	renamed = true
	if o.sync {
		if err := syncDir(filepath.Dir(path)); err != nil {
			// The new file is in place, but a crash may still undo the
			// rename: a durable write has failed.
			return &fs.PathError{Op: "write", Path: path, Err: err}
		}
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // a directory cannot be opened for sync there; renames are journaled
	}
	d, err := os.Open(dir)
	if err != nil {
		return cause(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		// EINVAL: a file system that cannot sync a directory (some FUSE
		// and network ones); there is nothing more to do.
		return cause(err)
	}
	return nil
}

// cause drops the temporary file's name (or the directory's) from an error
// of an os call, which the error returned names by the target instead.
func cause(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}
