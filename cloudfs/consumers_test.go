package cloudfs_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/cloudfs"
)

// TestDirModTimeWithConsumers pins down the documented choice that a
// directory has no modification time (the zero time): no listing can give
// one that is the same from Stat, ReadDir and a walk and that changes
// whenever the listing does, and a time that did not change would make
// HTTP serve stale listings. So http.FileServerFS never answers 304 for
// a directory and sends no Last-Modified for it, while files keep theirs;
// zip and tar archives made with AddFS keep every file and its time, and
// date directories at the zero time.
func TestDirModTimeWithConsumers(t *testing.T) {
	fsys, err := cloudfs.Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	files := map[string]string{"d/a.txt": "a", "d/sub/b.txt": "bb", "top.txt": "t"}
	for name, data := range files {
		if err := fsys.WriteFile(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{".", "d", "d/sub"} {
		fi, err := fsys.Stat(name)
		if err != nil || !fi.IsDir() || !fi.ModTime().IsZero() {
			t.Errorf("Stat(%q) = %v, %v; want a directory with the zero ModTime", name, fi, err)
		}
	}

	srv := httptest.NewServer(http.FileServerFS(fsys))
	defer srv.Close()
	get := func(path string, since time.Time) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if !since.IsZero() {
			req.Header.Set("If-Modified-Since", since.UTC().Format(http.TimeFormat))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	later := time.Now().Add(time.Hour)
	if resp := get("/d/", later); resp.StatusCode != http.StatusOK || resp.Header.Get("Last-Modified") != "" {
		t.Errorf("GET /d/ with If-Modified-Since = %s, Last-Modified %q; want 200 and none (never a stale listing)", resp.Status, resp.Header.Get("Last-Modified"))
	}
	if err := fsys.WriteFile("d/new.txt", []byte("n")); err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(get("/d/", later).Body); !strings.Contains(string(body), "new.txt") {
		t.Errorf("listing after a write = %q, want new.txt in it", body)
	}
	files["d/new.txt"] = "n"
	fi, _ := fsys.Stat("d/a.txt")
	resp := get("/d/a.txt", time.Time{})
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err != nil || !lm.Equal(fi.ModTime()) {
		t.Errorf("GET /d/a.txt: Last-Modified %q, want %v", resp.Header.Get("Last-Modified"), fi.ModTime())
	}
	if resp := get("/d/a.txt", fi.ModTime()); resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET /d/a.txt with If-Modified-Since its time = %s, want 304", resp.Status)
	}

	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	if err := zw.AddFS(fsys); err != nil {
		t.Fatalf("zip AddFS: %v", err)
	}
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(zb.Bytes()), int64(zb.Len()))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, zf := range zr.File {
		seen[zf.Name] = true
		if zf.FileInfo().IsDir() {
			continue
		}
		want, _ := fsys.Stat(zf.Name)
		if !zf.Modified.Equal(want.ModTime()) {
			t.Errorf("zip %s: Modified %v, want %v", zf.Name, zf.Modified, want.ModTime())
		}
		rc, _ := zf.Open()
		data, _ := io.ReadAll(rc)
		if string(data) != files[zf.Name] {
			t.Errorf("zip %s = %q, want %q", zf.Name, data, files[zf.Name])
		}
	}
	for _, name := range []string{"d/", "d/sub/", "d/a.txt", "d/sub/b.txt", "d/new.txt", "top.txt"} {
		if !seen[name] {
			t.Errorf("zip AddFS has no %s", name)
		}
	}

	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	if err := tw.AddFS(fsys); err != nil {
		t.Fatalf("tar AddFS: %v", err)
	}
	tw.Close()
	tr := tar.NewReader(&tb)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if h.Typeflag == tar.TypeDir {
			if h.ModTime.Unix() != 0 && !h.ModTime.IsZero() {
				t.Errorf("tar %s: ModTime %v, want the zero time (or the epoch it becomes)", h.Name, h.ModTime)
			}
			continue
		}
		want, _ := fsys.Stat(h.Name)
		if !h.ModTime.Equal(want.ModTime()) {
			t.Errorf("tar %s: ModTime %v, want %v", h.Name, h.ModTime, want.ModTime())
		}
		data, _ := io.ReadAll(tr)
		if string(data) != files[h.Name] {
			t.Errorf("tar %s = %q, want %q", h.Name, data, files[h.Name])
		}
	}
	if n != 6 {
		t.Errorf("tar AddFS wrote %d entries, want 6 (2 directories, 4 files)", n)
	}
}
