package cloudfs

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"gocloud.dev/blob"
)

// localDir is what cloudfs knows of a file:// bucket's directory, to make
// it behave as the object stores do where fileblob does not:
//
//   - fileblob leaves a directory on disk when its last file is deleted,
//     and such a directory then blocks a file of its name; cloudfs removes
//     directories that deletes empty (empty directories do not exist).
//   - fileblob lists a symbolic link with the link's own size and time
//     while reads follow it; cloudfs lists a link to a file as the file it
//     points to and skips links to directories, which fileblob cannot
//     list through (an object store has no links).
//   - fileblob reserves names ending in ".attrs" for its metadata files.
type localDir struct {
	dir string // the bucket's directory, absolute

	// Writes in progress: fileblob creates a file's directory when the
	// write starts and moves the file in when it ends, so prune must not
	// remove that (still empty) directory in between.
	mu      sync.Mutex
	writing map[string]int // keys being written
}

// startWrite notes a write of key until the returned func is called.
func (l *localDir) startWrite(key string) (done func()) {
	if l == nil {
		return func() {}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.writing == nil {
		l.writing = map[string]int{}
	}
	l.writing[key]++
	return sync.OnceFunc(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.writing[key]--; l.writing[key] == 0 {
			delete(l.writing, key)
		}
	})
}

// attrsExt is the suffix fileblob keeps its metadata files under.
const attrsExt = ".attrs"

// path is the file path of key, or "" for keys fileblob escapes (control
// characters), which cloudfs then leaves to fileblob alone.
func (l *localDir) path(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] < 32 {
			return ""
		}
	}
	return filepath.Join(l.dir, filepath.FromSlash(key))
}

// reserved reports whether fileblob refuses key as a file name.
func (l *localDir) reserved(key string) bool {
	return l != nil && strings.HasSuffix(key, attrsExt)
}

// prune removes the directories of keys, deepest first, while they are
// empty; it stops at the bucket's directory.
func (l *localDir) prune(keys ...string) {
	if l == nil {
		return
	}
	dirs := map[string]bool{}
	for _, k := range keys {
		for d := path.Dir(k); d != "." && d != "/" && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	sorted := make([]string, 0, len(dirs))
	for d := range dirs {
		sorted = append(sorted, d)
	}
	// Deeper first, so a parent is tried after its children.
	slices.SortFunc(sorted, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range sorted {
		if !l.writingBelow(d) {
			l.rmdir(d)
		}
	}
}

// writingBelow reports whether a write below directory d is in progress;
// the caller holds l.mu.
func (l *localDir) writingBelow(d string) bool {
	for k := range l.writing {
		if strings.HasPrefix(k, d+"/") {
			return true
		}
	}
	return false
}

// removeEmptyDir removes an empty directory at key, which a crash or
// another program may have left, so that a file can take its name.
func (l *localDir) removeEmptyDir(key string) {
	if l == nil {
		return
	}
	l.rmdir(key)
}

// rmdir removes the directory at key if it is empty; never a file.
func (l *localDir) rmdir(key string) {
	if p := l.path(key); p != "" {
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			_ = os.Remove(p) // fails, as wanted, unless empty
		}
	}
}

// isDirOnDisk reports whether key names a directory (or a link to one)
// on disk, which fileblob's Delete would remove if empty.
func (l *localDir) isDirOnDisk(key string) bool {
	if l == nil {
		return false
	}
	p := l.path(key)
	if p == "" {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// fix corrects a listed object for links: a link to a file takes the
// file's size and time, and a link to a directory (or a dangling one) is
// dropped (ok false). Other objects are returned as they are.
func (l *localDir) fix(obj *blob.ListObject) (*blob.ListObject, bool) {
	if l == nil || obj.IsDir {
		return obj, true
	}
	var fi os.FileInfo
	if !obj.As(&fi) || fi.Mode()&os.ModeSymlink == 0 {
		return obj, true
	}
	p := l.path(obj.Key)
	if p == "" {
		return nil, false
	}
	target, err := os.Stat(p)
	if err != nil || !target.Mode().IsRegular() {
		return nil, false
	}
	c := *obj
	c.Size, c.ModTime = target.Size(), target.ModTime()
	return &c, true
}

// fixAll applies fix to a page of objects.
func (l *localDir) fixAll(objs []*blob.ListObject) []*blob.ListObject {
	if l == nil {
		return objs
	}
	out := objs[:0:0]
	for _, o := range objs {
		if o, ok := l.fix(o); ok {
			out = append(out, o)
		}
	}
	return out
}
