package s3upload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/cloudfs/cloudfstest"
	_ "github.com/burst-dev/burst/cloudfs/s3upload"
	"github.com/burst-dev/burst/internal/testenv"
	_ "gocloud.dev/blob/s3blob"
)

// The whole suite again, with every Create going through s3upload.
func TestConformanceS3Upload(t *testing.T) {
	srv := testenv.StartS3(t)
	base := srv.BucketURL(t, "s3upload")
	cloudfstest.Run(t, cloudfstest.Harness{
		Open: func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) },
	})
}

// TestReadsPinTheOpenedETag: every range request of a File after Open
// carries If-Match with the ETag Open's GET returned.
func TestReadsPinTheOpenedETag(t *testing.T) {
	srv := testenv.StartS3(t)
	base := srv.BucketURL(t, "etag")
	target, _ := url.Parse(srv.Endpoint)
	var mu sync.Mutex
	var gets []http.Header
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && strings.HasSuffix(r.URL.Path, "/f") {
			mu.Lock()
			gets = append(gets, r.Header.Clone())
			mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	u := strings.Replace(base, url.QueryEscape(srv.Endpoint), url.QueryEscape(proxy.URL), 1)
	fsys, err := cloudfs.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if err := fsys.WriteFile("f", bytes.Repeat([]byte("x"), 3<<20)); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.(io.ReaderAt).ReadAt(make([]byte, 10), 2<<20); err != nil {
		t.Fatal(err)
	}
	f.(io.Seeker).Seek(100, io.SeekStart)
	if _, err := f.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	attrs, err := fsys.Bucket().Attributes(context.Background(), "f")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(gets) != 3 {
		t.Fatalf("%d GETs of f, want 3 (Open, ReadAt, Read after Seek)", len(gets))
	}
	if h := gets[0].Get("If-Match"); h != "" {
		t.Errorf("Open's GET has If-Match %q, want none", h)
	}
	for i, h := range gets[1:] {
		if got := h.Get("If-Match"); got == "" || got != attrs.ETag {
			t.Errorf("GET %d after Open: If-Match %q, want the ETag %q", i+1, got, attrs.ETag)
		}
	}
}

// TestRemoveFilesRequests: RemoveFiles sends one DELETE for one name (no
// HEAD before it) and one DeleteObjects per 1000 names, and the objects
// are gone, missing names being no error.
func TestRemoveFilesRequests(t *testing.T) {
	srv := testenv.StartS3(t)
	base := srv.BucketURL(t, "removefiles")
	target, _ := url.Parse(srv.Endpoint)
	var mu sync.Mutex
	var reqs []string
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.Method+" "+r.URL.RawQuery)
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	u := strings.Replace(base, url.QueryEscape(srv.Endpoint), url.QueryEscape(proxy.URL), 1)
	fsys, err := cloudfs.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	var names []string
	for i := range 1500 {
		names = append(names, fmt.Sprintf("r/%04d", i))
	}
	for _, i := range []int{0, 1, 999, 1000, 1499} {
		if err := fsys.WriteFile(names[i], []byte("state")); err != nil {
			t.Fatal(err)
		}
	}
	sent := func(fn func() error) []string {
		t.Helper()
		mu.Lock()
		reqs = nil
		mu.Unlock()
		if err := fn(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(reqs)
	}
	if got := sent(func() error { return fsys.RemoveFiles(names[0]) }); len(got) != 1 || !strings.HasPrefix(got[0], "DELETE") {
		t.Errorf("RemoveFiles of one name sent %q, want one DELETE", got)
	}
	got := sent(func() error { return fsys.RemoveFiles(names...) })
	if len(got) != 2 || !strings.HasPrefix(got[0], "POST delete") || !strings.HasPrefix(got[1], "POST delete") {
		t.Errorf("RemoveFiles of 1500 names sent %q, want two DeleteObjects (POST ?delete)", got)
	}
	ents, err := fsys.ReadDir("r")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("left after RemoveFiles: %v", ents)
	}
}

// TestRemoveFilesOnMissingBucket: S3's deletes of one name and of many, on
// a bucket that does not exist, fail naming it; S3 deletes a missing key
// without an error, so a nil would tell the caller its files were gone.
func TestRemoveFilesOnMissingBucket(t *testing.T) {
	srv := testenv.StartS3With(t, testenv.S3Options{NoAutobucket: true})
	u := strings.Replace(srv.BucketURL(t, "exists"), "exists", "missing", 1)
	fsys, err := cloudfs.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	for _, names := range [][]string{{"r/a"}, {"r/a", "r/b", "c"}} {
		err := fsys.RemoveFiles(names...)
		var pe *fs.PathError
		if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || !strings.Contains(err.Error(), `bucket "missing" does not exist`) {
			t.Errorf("RemoveFiles(%q) on a missing bucket: %v, want an *fs.PathError that is fs.ErrNotExist and says bucket \"missing\" does not exist", names, err)
		}
	}
}
