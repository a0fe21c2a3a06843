//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/remd"
)

// The study's baseline: Work Queue (CCTools) running each segment as a task,
// the way its Work Queue implementation did — a fresh process per task with
// its files staged in and out. Here the task is this same binary, so the
// engine and the seeds are the same as burst's and only the framework
// differs. wqBackend is a pool backend, so remd.Run drives both unchanged.

//go:embed wq_manager.py
var wqManager []byte

// wqTaskArg, as the first argument, makes this binary run one staged task.
const wqTaskArg = "__wq-task"

type wqBackend struct {
	dir     string   // staging directory for task files
	bin     string   // this binary, staged (cached) into every task
	data    []string // engine files, staged (cached) into every task
	mgr     *exec.Cmd
	stdin   io.WriteCloser
	workers []*exec.Cmd

	wmu     sync.Mutex // serialises writes to stdin
	mu      sync.Mutex
	pending map[string]chan wqResult
	dead    error // set when the manager exited
	done    chan struct{}
}

type wqResult struct {
	Tag    string `json:"tag"`
	Result int    `json:"result"`
	Status int    `json:"status"`
	Output string `json:"output"`
}

// openWorkQueue starts a manager and n work_queue_worker processes of one
// core each, on loopback; data are the files every task gets.
func openWorkQueue(ctx context.Context, n int, data []string, log *slog.Logger) (*wqBackend, error) {
	tools, err := testenv.LookWorkQueue()
	if err != nil {
		return nil, fmt.Errorf("work queue baseline: %w (or leave it out with -impl)", err)
	}
	bin, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "burst-study-wq-")
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "manager.py")
	if err := os.WriteFile(script, wqManager, 0o644); err != nil {
		return nil, err
	}
	pw := filepath.Join(dir, "password")
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	if err := os.WriteFile(pw, []byte(hex.EncodeToString(secret)), 0o600); err != nil {
		return nil, err
	}
	b := &wqBackend{dir: dir, bin: bin, data: data, pending: map[string]chan wqResult{}, done: make(chan struct{})}
	b.mgr = exec.Command(tools.Python, "-u", script, pw)
	b.mgr.Dir = dir
	b.mgr.Stderr = os.Stderr
	b.mgr.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if b.stdin, err = b.mgr.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := b.mgr.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := b.mgr.Start(); err != nil {
		return nil, fmt.Errorf("work queue manager: %w", err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var hello struct{ Port int }
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &hello) != nil || hello.Port == 0 {
		b.Close()
		return nil, fmt.Errorf("work queue manager did not report its port (%q, %v)", sc.Text(), sc.Err())
	}
	go b.read(sc)
	for i := range n {
		wd := filepath.Join(dir, "worker-"+strconv.Itoa(i))
		if err := os.MkdirAll(wd, 0o755); err != nil {
			b.Close()
			return nil, err
		}
		w := exec.Command(tools.Worker, "--cores", "1", "--single-shot", "--parent-death", "-t", "3600", "-P", pw,
			"-s", wd, "127.0.0.1", strconv.Itoa(hello.Port))
		w.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := w.Start(); err != nil {
			b.Close()
			return nil, fmt.Errorf("work_queue_worker: %w", err)
		}
		b.workers = append(b.workers, w)
	}
	// Like process://, start the clock only once the workers are there.
	ch := make(chan wqResult, 1)
	b.mu.Lock()
	b.pending["__ready"] = ch
	b.mu.Unlock()
	if _, err := fmt.Fprintf(b.stdin, "{\"tag\":\"__ready\",\"ready\":%d}\n", n); err != nil {
		b.Close()
		return nil, fmt.Errorf("work queue manager: %w", err)
	}
	select {
	case r := <-ch:
		log.Debug("work queue up", "port", hello.Port, "workers", r.Output)
	case <-b.done:
		b.Close()
		return nil, errors.New("work queue manager exited while waiting for its workers")
	case <-ctx.Done():
		b.Close()
		return nil, ctx.Err()
	}
	return b, nil
}

func (b *wqBackend) read(sc *bufio.Scanner) {
	for sc.Scan() {
		var r wqResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue
		}
		b.mu.Lock()
		ch := b.pending[r.Tag]
		delete(b.pending, r.Tag)
		b.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
	b.mu.Lock()
	b.dead = fmt.Errorf("work queue manager exited: %v", sc.Err())
	b.mu.Unlock()
	close(b.done)
}

// Invoke stages the call envelope as the task's input file, runs this binary
// on it as a task, and reads the result envelope the task staged out.
func (b *wqBackend) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	tag := fmt.Sprintf("%d-%d", req.ID, req.Attempt)
	in, out := filepath.Join(b.dir, tag+".in.json"), filepath.Join(b.dir, tag+".out.json")
	raw, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		return nil, err
	}
	defer os.Remove(in)
	defer os.Remove(out)
	inputs := [][]any{{b.bin, "study", true}, {in, "call.json", false}}
	for _, f := range b.data {
		inputs = append(inputs, []any{f, filepath.Base(f), true})
	}
	task, _ := json.Marshal(map[string]any{
		"tag": tag, "cmd": "./study " + wqTaskArg + " call.json result.json",
		"inputs": inputs, "outputs": [][]string{{out, "result.json"}},
	})
	ch := make(chan wqResult, 1)
	b.mu.Lock()
	if b.dead != nil {
		b.mu.Unlock()
		return nil, fmt.Errorf("%v: %w", b.dead, driver.ErrWorkerLost)
	}
	b.pending[tag] = ch
	b.mu.Unlock()
	b.wmu.Lock()
	_, err = b.stdin.Write(append(task, '\n'))
	b.wmu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("work queue manager: %v: %w", err, driver.ErrWorkerLost)
	}
	var r wqResult
	select {
	case r = <-ch:
	case <-b.done:
		return nil, fmt.Errorf("work queue manager exited: %w", driver.ErrWorkerLost)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.Result != 0 || r.Status != 0 {
		return nil, fmt.Errorf("work queue task %s: result %d, exit status %d: %s: %w", tag, r.Result, r.Status, r.Output, driver.ErrWorkerLost)
	}
	rb, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("work queue task %s: %v: %w", tag, err, driver.ErrWorkerLost)
	}
	var resp driver.Response
	if err := json.Unmarshal(rb, &resp); err != nil {
		return nil, fmt.Errorf("work queue task %s: result envelope: %v: %w", tag, err, driver.ErrWorkerLost)
	}
	return &resp, nil
}

// Limit lets every segment of a round be submitted at once: Work Queue
// schedules them onto its workers, as in the study.
func (b *wqBackend) Limit() int { return 1 << 16 }

func (b *wqBackend) Close() error {
	if b.stdin != nil {
		b.stdin.Close()
	}
	for _, w := range b.workers {
		_ = syscall.Kill(-w.Process.Pid, syscall.SIGKILL)
		_ = w.Wait()
	}
	if b.mgr != nil && b.mgr.Process != nil {
		_ = syscall.Kill(-b.mgr.Process.Pid, syscall.SIGKILL)
		_ = b.mgr.Wait()
	}
	return os.RemoveAll(b.dir)
}

// wqTask is the task side: read the staged call envelope, point the engine
// at the staged copies of its files, run the call with this binary's
// registry, and stage the result envelope out.
func wqTask(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "study: "+wqTaskArg+" needs the call and the result file")
		return 2
	}
	raw, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "study:", err)
		return 1
	}
	var req driver.Request
	if err := json.Unmarshal(raw, &req); err != nil {
		fmt.Fprintln(os.Stderr, "study: call envelope:", err)
		return 1
	}
	if err := useStagedFiles(&req); err != nil {
		fmt.Fprintln(os.Stderr, "study:", err)
		return 1
	}
	resp := driver.Handle(context.Background(), &req)
	b, _ := json.Marshal(resp)
	if err := os.WriteFile(args[1], b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "study:", err)
		return 1
	}
	return 0
}

// useStagedFiles rewrites the engine's file options (pdb, psf, par) to the
// copies staged into the task's sandbox, when they are there. The input is
// decoded and re-encoded with the call's own codec.
func useStagedFiles(req *driver.Request) error {
	if req.Func != "remd.segment" {
		return nil
	}
	c, err := codec.Lookup(req.Codec)
	if err != nil {
		return err
	}
	raw, err := driver.DecodePayload(c, req.Input)
	if err != nil {
		return err
	}
	var in remd.SegmentIn
	if err := c.Unmarshal(raw, &in); err != nil {
		return fmt.Errorf("call input: %w", err)
	}
	var opts map[string]json.RawMessage
	if err := json.Unmarshal(in.Engine.Options, &opts); err != nil || opts == nil {
		return nil
	}
	for _, k := range []string{"pdb", "psf", "par"} {
		var p string
		if json.Unmarshal(opts[k], &p) != nil || p == "" {
			continue
		}
		if _, err := os.Stat(filepath.Base(p)); err == nil {
			opts[k], _ = json.Marshal(filepath.Base(p))
		}
	}
	if in.Engine.Options, err = json.Marshal(opts); err != nil {
		return err
	}
	if raw, err = c.Marshal(in); err != nil {
		return err
	}
	req.Input = driver.EncodePayload(c, raw)
	return nil
}
