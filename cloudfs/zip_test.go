package cloudfs_test

import (
	"archive/zip"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/internal/testenv"
)

// countingProxy is a reverse proxy on loopback in front of a test server
// that counts the requests and response bytes passing through it.
type countingProxy struct {
	*httptest.Server
	requests atomic.Int64
	bytes    atomic.Int64
}

func startCountingProxy(t testing.TB, target string) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &p.bytes}
		return nil
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *countingProxy) reset() { p.requests.Store(0); p.bytes.Store(0) }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// s3ViaProxy returns the URL of a bucket of the gofakes3 server reached
// through a counting proxy.
func s3ViaProxy(t testing.TB) (string, *countingProxy) {
	t.Helper()
	srv := testenv.StartS3(t)
	base := srv.BucketURL(t, "zipfig")
	proxy := startCountingProxy(t, srv.Endpoint)
	u := strings.Replace(base, url.QueryEscape(srv.Endpoint), url.QueryEscape(proxy.URL), 1)
	if u == base {
		t.Fatalf("endpoint %s not in bucket URL %s", srv.Endpoint, base)
	}
	return u, proxy
}

func openURL(t testing.TB, u string) *cloudfs.FS {
	t.Helper()
	fsys, err := cloudfs.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys
}

// buildZip writes a zip of about total bytes: stored members of
// memberSize bytes of random data (one block, repeated: cheap to make),
// and, in the middle, a deflated member of incompressible data for each
// of targets, named "target-<size>". It returns the targets' bytes.
func buildZip(t testing.TB, fsys *cloudfs.FS, name string, total, memberSize int, targets ...int) map[string][]byte {
	t.Helper()
	rng := rand.NewChaCha8([32]byte{1})
	random := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	w, err := fsys.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(w)
	filler := random(memberSize)
	want := map[string][]byte{}
	members := total / memberSize
	for i := range members {
		h := &zip.FileHeader{Name: fmt.Sprintf("member-%03d.bin", i), Method: zip.Store}
		data := filler
		if j := i - members/2; j >= 0 && j < len(targets) {
			data = random(targets[j])
			h = &zip.FileHeader{Name: fmt.Sprintf("target-%d", targets[j]), Method: zip.Deflate}
			want[h.Name] = data
		}
		mw, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		mw.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

// readMember reads the member "target" of the zip name through
// zip.NewReader on a cloudfs File, and returns the requests and bytes the
// proxy saw, and the most the File's read cache held.
func readMember(t testing.TB, fsys *cloudfs.FS, proxy *countingProxy, name, member string, want []byte) (requests, moved, held int64) {
	t.Helper()
	proxy.reset()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	zr, err := zip.NewReader(f.(io.ReaderAt), fi.Size())
	if err != nil {
		t.Fatalf("zip.NewReader: %v", err)
	}
	for _, zf := range zr.File {
		if zf.Name != member {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		h := crc32.NewIEEE()
		buf := make([]byte, 32<<10)
		for {
			n, err := rc.Read(buf)
			h.Write(buf[:n])
			held = max(held, cloudfs.CacheHeld(f))
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("reading the member: %v", err) // zip checks its CRC here
			}
		}
		rc.Close()
		if h.Sum32() != crc32.ChecksumIEEE(want) {
			t.Fatal("member read back with other bytes")
		}
		return proxy.requests.Load(), proxy.bytes.Load(), held
	}
	t.Fatalf("no member named %s", member)
	return
}

// TestFigure1ZipMemberRequests is figure 1 of issue 16: reading one
// member of a 64 MiB zip from the S3 server through zip.NewReader on a
// cloudfs File, with the default settings, makes at most 4 requests per
// MiB of the member, and the read cache holds at most its size. The same
// read with the cache off (one request per ReadAt, as before) is the
// baseline.
func TestFigure1ZipMemberRequests(t *testing.T) {
	u, proxy := s3ViaProxy(t)
	fsys := openURL(t, u)                       // the defaults
	uncached := openURL(t, u+"&read_cache=off") // one request per ReadAt
	total := 64 << 20
	if testing.Short() {
		total = 16 << 20
	}
	want := buildZip(t, fsys, "archive.zip", total, 1<<20, 1<<20, 8<<20)
	for _, size := range []int{1 << 20, 8 << 20} {
		member := fmt.Sprintf("target-%d", size)
		mib := float64(size) / (1 << 20)
		breq, bmoved, _ := readMember(t, uncached, proxy, "archive.zip", member, want[member])
		req, moved, held := readMember(t, fsys, proxy, "archive.zip", member, want[member])
		t.Logf("member of %.0f MiB in a %d MiB zip: default settings %d requests (%.2f per MiB), %.2f MiB moved, cache held at most %.2f MiB; read_cache=off %d requests, %.2f MiB moved",
			mib, total>>20, req, float64(req)/mib, float64(moved)/(1<<20), float64(held)/(1<<20), breq, float64(bmoved)/(1<<20))
		if float64(req)/mib > 4 {
			t.Errorf("%d requests for a %.0f MiB member, want at most %.0f (4 per MiB)", req, mib, 4*mib)
		}
		if held > cloudfs.DefaultReadCache {
			t.Errorf("read cache held %d bytes, want at most %d", held, cloudfs.DefaultReadCache)
		}
	}
}

// TestSmallZipIsOneRequest: a zip no bigger than one read-ahead window is
// read whole through Open's GET, so listing and reading all its members
// costs that one request.
func TestSmallZipIsOneRequest(t *testing.T) {
	u, proxy := s3ViaProxy(t)
	fsys := openURL(t, u)
	want := buildZip(t, fsys, "small.zip", 512<<10, 64<<10, 64<<10)
	req, _, _ := readMember(t, fsys, proxy, "small.zip", "target-65536", want["target-65536"])
	if req != 1 {
		t.Errorf("reading a member of a 512 KiB zip took %d requests, want 1 (Open's GET)", req)
	}
}
