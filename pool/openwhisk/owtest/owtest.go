// Package owtest is a local OpenWhisk for tests: the controller's REST
// endpoint (blocking invokes with basic auth, activation results by id) in
// front of action containers run as the Go action-loop proxy runs them.
package owtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
)

// Host is a local OpenWhisk: the REST endpoint of the controller at URL,
// for namespace guest and action burst, in front of action containers run
// as the Go action-loop proxy runs them: the action executable (by default
// the test binary, whose TestMain calls pool.Main) with fd 3 for results,
// __OW_WAIT_FOR_ACK set, one activation line at a time on stdin.
type Host struct {
	URL      string // the API host, http://127.0.0.1:PORT
	t        testing.TB
	srv      *httptest.Server
	user     string
	pass     string
	free     chan *container
	blocking time.Duration // how long a blocking invoke waits before 202
	limit    time.Duration // the action's time limit: longer activations are killed
	env      []string
	exe      string // the action executable (default: this test binary)
	nextID   atomic.Int64
	stop     chan struct{} // closed when the test ends: no container is started any more
	mu       sync.Mutex
	results  map[string][]byte // finished activations by id
}

type container struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	result *bufio.Reader
	logs   *lockedBuffer
}

// lockedBuffer is a container's output: os/exec writes it from a goroutine
// of its own while a failed start reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Start starts a host with containers action containers of the test
// binary, each started with env added; a blocking invoke waits up to
// blocking for its result before answering 202 with the activation id.
// The host stops when the test ends.
func Start(t testing.TB, containers int, blocking time.Duration, env ...string) *Host {
	return StartExe(t, os.Args[0], containers, blocking, env...)
}

// StartExe is Start with another action executable.
func StartExe(t testing.TB, exe string, containers int, blocking time.Duration, env ...string) *Host {
	h := &Host{t: t, limit: 5 * time.Second, env: env, exe: exe, user: "23bc46b1-71f6-4ed5-8c54-816aa4f8c502", pass: "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP",
		free: make(chan *container, containers), stop: make(chan struct{}), blocking: blocking, results: map[string][]byte{}}
	for range containers {
		c, err := h.start()
		if err != nil {
			t.Fatal(err)
		}
		h.free <- c
	}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	h.URL = h.srv.URL
	t.Cleanup(func() {
		// An activation still running (one the suite abandoned) may hit
		// its time limit while the server waits for it to end: its
		// container is killed then and no new one started, which would
		// register a cleanup while cleanups run (and be killed by it at
		// once) from a goroutine that may not end the test.
		close(h.stop)
		h.srv.Close()
	})
	return h
}

// Auth is the host's "uuid:key".
func (h *Host) Auth() string { return h.user + ":" + h.pass }

// start runs one action container and waits for its ack.
func (h *Host) start() (*container, error) {
	resR, resW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(h.exe, "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "__OW_WAIT_FOR_ACK=1", "__OW_PROXY_VERSION=1.0", httpfn.EnvSecret+"="+httpfntest.Secret)
	cmd.Env = append(cmd.Env, h.env...)
	cmd.ExtraFiles = []*os.File{resW}
	logs := new(lockedBuffer)
	cmd.Stdout, cmd.Stderr = logs, logs
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		resR.Close()
		resW.Close()
		return nil, err
	}
	resW.Close()
	c := &container{cmd: cmd, stdin: stdin, result: bufio.NewReader(resR), logs: logs}
	h.t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait(); resR.Close() })
	line, err := c.result.ReadBytes('\n')
	if err != nil || strings.TrimSpace(string(line)) != `{"ok":true}` {
		return nil, fmt.Errorf("owtest: action did not ack: %q, %v; output:\n%s", line, err, logs)
	}
	return c, nil
}

// restart replaces a container that was killed or lost, unless the host is
// stopping.
func (h *Host) restart() {
	if h.stopping() {
		return
	}
	c, err := h.start()
	if err != nil {
		if !h.stopping() {
			h.t.Error(err)
		}
		return
	}
	h.free <- c
}

func (h *Host) stopping() bool {
	select {
	case <-h.stop:
		return true
	default:
		return false
	}
}

// run sends one activation to a free container and returns its result
// line. Like OpenWhisk, it kills a container whose activation exceeds the
// action's time limit and starts a fresh one.
func (h *Host) run(id string, value json.RawMessage) []byte {
	lost := []byte(`{"error":"The action did not produce a valid response and exited unexpectedly."}`)
	var c *container
	select {
	case c = <-h.free:
	case <-h.stop: // a container lost while stopping is not replaced
		return lost
	}
	line, _ := json.Marshal(map[string]any{"value": value, "namespace": "guest", "action_name": "/guest/burst",
		"activation_id": id, "transaction_id": "tx" + id, "deadline": fmt.Sprint(time.Now().Add(h.limit).UnixMilli())})
	if _, err := c.stdin.Write(append(line, '\n')); err != nil {
		h.restart()
		return lost
	}
	got := make(chan []byte, 1)
	go func() {
		res, err := c.result.ReadBytes('\n')
		if err != nil {
			res = lost
		}
		got <- bytes.TrimSpace(res)
	}()
	select {
	case res := <-got:
		h.free <- c
		return res
	case <-time.After(h.limit):
		c.cmd.Process.Kill()
		h.restart()
		return []byte(fmt.Sprintf(`{"error":"The action exceeded its time limits of %d milliseconds."}`, h.limit.Milliseconds()))
	}
}

func (h *Host) serve(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != h.user || p != h.pass {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"The supplied authentication is invalid","code":"abc"}`)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/namespaces/guest/actions/burst":
		if r.URL.Query().Get("blocking") != "true" || r.URL.Query().Get("result") != "true" {
			http.Error(w, "test host supports blocking result invokes only", http.StatusBadRequest)
			return
		}
		value, _ := io.ReadAll(r.Body)
		id := fmt.Sprintf("%032x", h.nextID.Add(1))
		done := make(chan []byte, 1)
		go func() {
			res := h.run(id, value)
			h.mu.Lock()
			h.results[id] = res
			h.mu.Unlock()
			done <- res
		}()
		select {
		case res := <-done:
			writeResult(w, res)
		case <-time.After(h.blocking):
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprintf(w, `{"activationId":%q}`, id)
		}
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/namespaces/guest/activations/"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/guest/activations/"), "/result")
		h.mu.Lock()
		res, ok := h.results[id]
		h.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"The requested resource does not exist."}`, http.StatusNotFound)
			return
		}
		status := "success"
		if bytes.Contains(res, []byte(`"error"`)) {
			status = "application error"
		}
		fmt.Fprintf(w, `{"result":%s,"status":%q,"success":%v}`, res, status, status == "success")
	default:
		http.Error(w, `{"error":"The requested resource does not exist."}`, http.StatusNotFound)
	}
}

// writeResult answers a blocking invoke: the result, or 502 when the
// action's result is an application error (has a top-level "error").
func writeResult(w http.ResponseWriter, res []byte) {
	var probe map[string]json.RawMessage
	w.Header().Set("Content-Type", "application/json")
	if json.Unmarshal(res, &probe) == nil && probe["error"] != nil {
		w.WriteHeader(http.StatusBadGateway)
	}
	w.Write(res)
}
