package openwhisk_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/openwhisk"
)

// recordingWhisk is the action part of the OpenWhisk REST API: it stores the
// actions PUT to it and records every request.
type recordingWhisk struct {
	mu      sync.Mutex
	calls   []string
	actions map[string][]byte
}

func (rw *recordingWhisk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.calls = append(rw.calls, r.Method+" "+r.URL.Path)
	if u, p, _ := r.BasicAuth(); u != "user" || p != "key" {
		http.Error(w, `{"error":"The supplied authentication is invalid"}`, http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case http.MethodGet:
		a, ok := rw.actions[r.URL.Path]
		if !ok {
			http.Error(w, `{"error":"The requested resource does not exist."}`, http.StatusNotFound)
			return
		}
		if r.URL.Query().Get("code") == "false" { // as OpenWhisk: the action without its code
			var m map[string]any
			json.Unmarshal(a, &m)
			delete(m["exec"].(map[string]any), "code")
			a, _ = json.Marshal(m)
		}
		w.Write(a)
	case http.MethodPut:
		if r.URL.Query().Get("overwrite") != "true" {
			http.Error(w, `{"error":"resource already exists"}`, http.StatusConflict)
			return
		}
		b, _ := io.ReadAll(r.Body)
		rw.actions[r.URL.Path] = b
		w.Write(b)
	}
}

func TestDeployUploadsARunnableActionOnce(t *testing.T) {
	rw := &recordingWhisk{actions: map[string][]byte{}}
	srv := httptest.NewServer(rw)
	defer srv.Close()
	// A stand-in binary keeps the test fast: archiving the 30 MB race test
	// binary is slow, and that the action loop runs this binary as an action
	// is what the conformance suite checks.
	bin := filepath.Join(t.TempDir(), "worker")
	binary := bytes.Repeat([]byte("\x7fELF burst worker "), 1000)
	if err := os.WriteFile(bin, binary, 0o755); err != nil {
		t.Fatal(err)
	}
	d := openwhisk.DeployOptions{
		Binary:       bin,
		Options:      openwhisk.Options{APIHost: srv.URL, Namespace: "guest", Action: "burst", Auth: "user:key", Secret: []byte(httpfntest.Secret)},
		ExecutionEnv: "openwhisk/action-golang-v1.22",
		Env:          map[string]string{"GOMAXPROCS": "2"},
	}
	for i, want := range []bool{true, false} {
		changed, err := openwhisk.Deploy(context.Background(), d)
		if err != nil || changed != want {
			t.Fatalf("deploy %d: changed = %v, %v; want %v", i+1, changed, err, want)
		}
	}
	if want := []string{"GET /api/v1/namespaces/guest/actions/burst", "PUT /api/v1/namespaces/guest/actions/burst",
		"GET /api/v1/namespaces/guest/actions/burst"}; !equal(rw.calls, want) {
		t.Fatalf("calls = %q, want %q (the second deploy must be a no-op)", rw.calls, want)
	}

	var action struct {
		Exec struct {
			Kind   string `json:"kind"`
			Code   string `json:"code"`
			Binary bool   `json:"binary"`
		} `json:"exec"`
		Parameters []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
			Init  bool   `json:"init"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(rw.actions["/api/v1/namespaces/guest/actions/burst"], &action); err != nil {
		t.Fatal(err)
	}
	if action.Exec.Kind != "go:1.22" || !action.Exec.Binary {
		t.Fatalf("exec = %+v, want a binary go:1.22 action", action.Exec)
	}
	var env []string
	for _, p := range action.Parameters {
		if !p.Init {
			t.Errorf("parameter %s is not an init parameter: it would not reach the environment", p.Key)
		}
		env = append(env, p.Key+"="+p.Value)
	}
	code, _ := base64.StdEncoding.DecodeString(action.Exec.Code)
	zr, err := zip.NewReader(bytes.NewReader(code), int64(len(code)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, f := range zr.File {
		files[f.Name] = true
		if f.Name == "exec" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if f.Mode()&0o111 == 0 || !bytes.Equal(b, binary) {
				t.Fatalf("exec: mode %v, %d bytes; want the binary, executable", f.Mode(), len(b))
			}
		}
	}
	if !files["exec"] || !files["exec.env"] {
		t.Fatalf("archive holds %v, want exec and exec.env", files)
	}
	for _, want := range []string{"BURST_SECRET=" + httpfntest.Secret, "BURST_OPENWHISK=1", "GOMAXPROCS=2"} {
		if !contains(env, want) {
			t.Errorf("init parameters %q lack %s", env, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
