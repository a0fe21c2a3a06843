package azblobpin_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	_ "github.com/burst-dev/burst/cloudfs/azblobpin"
	"github.com/burst-dev/burst/cloudfs/cloudfstest"
	"github.com/burst-dev/burst/internal/testenv"
)

// TestReadsPinTheOpenedETag: after Open, a File's range requests carry
// If-Match with Open's ETag, and once the blob is replaced, even by one
// of the same size at once, Azurite refuses them and the File says
// cloudfs.ErrChanged.
func TestReadsPinTheOpenedETag(t *testing.T) {
	srv := testenv.StartAzurite(t)
	base := srv.BucketURL(t, "pin")
	target, _ := url.Parse("http://" + srv.Addr)
	var mu sync.Mutex
	type seen struct {
		ifMatch string
		status  int
	}
	var gets []seen
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		r := resp.Request
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/f") {
			mu.Lock()
			gets = append(gets, seen{r.Header.Get("If-Match"), resp.StatusCode})
			mu.Unlock()
		}
		return nil
	}
	proxy := httptest.NewServer(rp)
	defer proxy.Close()
	u := strings.Replace(base, url.QueryEscape(srv.Addr), url.QueryEscape(strings.TrimPrefix(proxy.URL, "http://")), 1)
	if u == base {
		t.Fatalf("address %s not in %s", srv.Addr, base)
	}
	fsys, err := cloudfs.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if err := fsys.WriteFile("f", bytes.Repeat([]byte("1"), 3<<20)); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 10)
	if _, err := f.(io.ReaderAt).ReadAt(buf, 2<<20); err != nil || string(buf) != "1111111111" {
		t.Fatalf("ReadAt = %q, %v", buf, err)
	}
	if err := fsys.WriteFile("f", bytes.Repeat([]byte("2"), 3<<20)); err != nil {
		t.Fatal(err)
	}
	_, err = f.(io.ReaderAt).ReadAt(buf, 0) // outside what the first fetch holds
	if !errors.Is(err, cloudfs.ErrChanged) {
		t.Errorf("ReadAt after a same-size overwrite: err = %v, want cloudfs.ErrChanged", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(gets) != 3 {
		t.Fatalf("saw %d GETs of f, want 3 (Open, a ReadAt, a refused ReadAt): %+v", len(gets), gets)
	}
	if gets[0].ifMatch != "" || gets[1].ifMatch == "" || gets[2].ifMatch != gets[1].ifMatch {
		t.Errorf("If-Match of the GETs = %q, %q, %q; want none on Open's, Open's ETag on the others", gets[0].ifMatch, gets[1].ifMatch, gets[2].ifMatch)
	}
	if gets[2].status != http.StatusPreconditionFailed {
		t.Errorf("the GET after the overwrite got %d, want 412", gets[2].status)
	}
}

// The whole suite again, with every read of an open File pinned.
func TestConformanceAzblobPin(t *testing.T) {
	base := testenv.StartAzurite(t).BucketURL(t, "pinsuite")
	cloudfstest.Run(t, cloudfstest.Harness{
		Open:      func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) },
		SkipLarge: true, // the Azure run of cloudfs covers it
	})
}
