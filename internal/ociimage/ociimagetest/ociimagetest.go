// Package ociimagetest runs go-containerregistry's in-process registry on
// loopback for tests of image pushes, counting the uploads it receives so a
// test can tell "pushed" from "already there".
package ociimagetest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry is a running registry.
type Registry struct {
	// Host is its host:port, the first part of an image reference.
	Host string

	h       http.Handler
	mu      sync.Mutex
	uploads []string
}

// Start runs a registry until the test ends.
func Start(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{h: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodPut || req.Method == http.MethodPatch ||
		(req.Method == http.MethodPost && strings.Contains(req.URL.Path, "/blobs/uploads")) {
		r.mu.Lock()
		r.uploads = append(r.uploads, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
	}
	r.h.ServeHTTP(w, req)
}

// Uploads is how many upload requests (blob and manifest) arrived so far.
func (r *Registry) Uploads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.uploads)
}

// FakeELF writes a file that passes ociimage.Build's executable check (the
// tests push it, never run it) and returns its path.
func FakeELF(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "worker")
	if err := os.WriteFile(p, []byte("\x7fELF"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
