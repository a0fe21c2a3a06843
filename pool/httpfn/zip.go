package httpfn

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// ZipEntry is one file of a deployment archive.
type ZipEntry struct {
	Name string
	Mode fs.FileMode // 0o755 for executables
	Data []byte      // or
	Path string      // a file to copy (read when the archive is built)
	// Store keeps the entry uncompressed: a larger archive, built much
	// faster (deflating a 30 MB binary is slow under the race detector).
	Store bool
}

// Zip builds a deployment archive. Entries carry a fixed time, so the same
// contents give the same bytes and a content hash of the archive tells
// whether a redeploy is needed.
func Zip(entries []ZipEntry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
		if e.Store {
			h.Method = zip.Store
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if e.Path != "" {
			f, err := os.Open(e.Path)
			if err != nil {
				return nil, fmt.Errorf("zip %s: %w", e.Name, err)
			}
			_, err = io.Copy(w, f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("zip %s: %w", e.Name, err)
			}
			continue
		}
		if _, err := w.Write(e.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
