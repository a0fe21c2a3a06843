package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/burst-dev/burst/pool"
)

// Environment variables the driver sets for its workers.
const (
	envWorker     = "BURST_PROCESS_WORKER" // worker index; its presence marks a worker
	envMaxMessage = "BURST_PROCESS_MAX_MESSAGE"
)

type hello struct {
	PID   int    `json:"pid"`
	Build string `json:"build"`
}

func init() {
	pool.RegisterExplicitWorker("process", func() bool { return os.Getenv(envWorker) != "" }, serve)
}

// serve is the worker side: read calls from fd 3, answer on fd 4, run each
// call in its own goroutine so many can be in flight, until the driver closes
// the call pipe. Calls the driver sends as waiting start, in order, as this
// worker's running calls end, or when the driver promotes them.
func serve(ctx context.Context) error {
	// The driver's exec hands the pipes over in blocking mode. Blocking,
	// a read waiting for the next call holds an OS thread in a system call,
	// and the Go runtime, seeing a processor stuck there, hands it to another
	// thread every 20 µs and never lets its monitor rest: thousands of futex
	// wake-ups and sleeps per second, CPU taken from the calls. Non-blocking,
	// os.NewFile makes them pollable and a waiting read costs nothing.
	for _, fd := range []int{3, 4} {
		_ = syscall.SetNonblock(fd, true)
	}
	in := os.NewFile(3, "burst-calls")
	out := os.NewFile(4, "burst-results")
	if in == nil || out == nil {
		return errors.New("process worker: fds 3 and 4 are not open; a worker must be started by the process backend")
	}
	max := defaultMaxMessage
	if v, err := strconv.Atoi(os.Getenv(envMaxMessage)); err == nil && v > 0 {
		max = v
	}
	host, _ := os.Hostname()
	pool.SetWorkerID(fmt.Sprintf("%s/%d#%s", host, os.Getpid(), os.Getenv(envWorker)))
	return Serve(ctx, in, out, max)
}

// Serve is the worker side of the protocol over any stream: it says hello on
// out, then runs the calls read from in, each in its own goroutine, writing
// their results to out, until in ends (io.EOF: the driver is done; a caller
// whose ctx should end the serving closes in). Calls still running then are
// cancelled and waited for. pool/tcp
// serves a network connection with it; maxMessage bounds a frame (0: the
// default of 64 MiB).
func Serve(ctx context.Context, in io.Reader, out io.Writer, maxMessage int) error {
	max := maxMessage
	if max < 1 {
		max = defaultMaxMessage
	}
	s := &server{send: newSender(out), max: max, running: map[uint64]context.CancelFunc{}}
	h, _ := json.Marshal(hello{PID: os.Getpid(), Build: pool.BuildID()})
	s.send.send(frame{kind: kindHello, payload: h})

	ctx, cancelAll := context.WithCancel(ctx)
	s.ctx = ctx
	defer func() { cancelAll(); s.wg.Wait() }()
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		f, err := readFrame(r, max)
		var big *errOversize
		switch {
		case errors.As(err, &big):
			s.reply(big.seq, tooLarge(fmt.Sprintf("process worker: call of %d bytes exceeds the message limit of %d bytes", big.size, max)))
			continue
		case errors.Is(err, io.EOF):
			return nil // the driver closed the pipe: stop
		case err != nil:
			return fmt.Errorf("process worker: read: %w", err)
		}
		switch f.kind {
		case kindCall, kindQueue:
			req := new(pool.Request)
			input, err := splitEnvelope(f.payload, req)
			if err != nil {
				s.reply(f.seq, &pool.Response{Version: pool.ProtocolVersion, Error: &pool.WireError{Code: pool.CodeProtocol,
					Message: "process worker: undecodable call envelope: " + err.Error()}})
				continue
			}
			req.Input = input
			s.mu.Lock()
			if f.kind == kindCall {
				s.startLocked(f.seq, req)
			} else {
				s.queue = append(s.queue, waiting{f.seq, req})
			}
			s.mu.Unlock()
		case kindPromote:
			s.mu.Lock()
			// Not waiting any more means it already started as another
			// call ended; the driver counted it running either way.
			if i := s.waitingAt(f.seq); i >= 0 {
				wt := s.queue[i]
				s.queue = slices.Delete(s.queue, i, i+1)
				s.startLocked(wt.seq, wt.req)
			}
			s.mu.Unlock()
		case kindCancel:
			s.mu.Lock()
			if c := s.running[f.seq]; c != nil {
				c()
			} else if i := s.waitingAt(f.seq); i >= 0 {
				wt := s.queue[i]
				s.queue = slices.Delete(s.queue, i, i+1)
				s.mu.Unlock()
				s.reply(f.seq, &pool.Response{Version: pool.ProtocolVersion, ID: wt.req.ID, Attempt: wt.req.Attempt,
					Error: &pool.WireError{Code: pool.CodeCanceled, Message: "process worker: call cancelled before it started"}})
				continue
			}
			s.mu.Unlock()
		default:
			s.reply(f.seq, &pool.Response{Version: pool.ProtocolVersion, Error: &pool.WireError{Code: pool.CodeProtocol,
				Message: fmt.Sprintf("process worker: unknown frame kind %q", f.kind)}})
		}
	}
}

type waiting struct {
	seq uint64
	req *pool.Request
}

// server is one worker's state: the calls running and those waiting.
type server struct {
	ctx     context.Context
	send    *sender
	max     int
	wg      sync.WaitGroup
	mu      sync.Mutex
	running map[uint64]context.CancelFunc
	queue   []waiting
}

func (s *server) waitingAt(seq uint64) int {
	return slices.IndexFunc(s.queue, func(w waiting) bool { return w.seq == seq })
}

// startLocked runs a call in its own goroutine. When it ends, the first
// waiting call takes its place in the same goroutine once the result is
// written, so the worker spends no time between the two calls on the
// driver. s.mu is held.
func (s *server) startLocked(seq uint64, req *pool.Request) {
	ctx, cancel := s.trackLocked(seq)
	s.wg.Go(func() {
		for {
			resp := pool.Handle(ctx, req)
			cancel()
			result := s.result(seq, resp)
			s.mu.Lock()
			delete(s.running, seq)
			more := len(s.queue) > 0
			if more {
				wt := s.queue[0]
				s.queue = s.queue[1:]
				seq, req = wt.seq, wt.req
				ctx, cancel = s.trackLocked(seq)
				// Started before the result, so the driver's count of
				// running calls never dips below the truth; queued under
				// the lock, so the next call's own result cannot overtake.
				s.send.enqueue(frame{kind: kindStarted, seq: seq}, result)
			} else {
				s.send.enqueue(result)
			}
			s.mu.Unlock()
			// Written here rather than by a goroutine of its own: a short
			// write costs less than waking a thread for it.
			s.send.flush()
			if !more {
				return
			}
		}
	})
}

// trackLocked records a call as running and returns its context; s.mu is
// held.
func (s *server) trackLocked(seq uint64) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(s.ctx)
	s.running[seq] = cancel
	return ctx, cancel
}

// reply sends resp as the result of call seq.
func (s *server) reply(seq uint64, resp *pool.Response) { s.send.send(s.result(seq, resp)) }

// result encodes resp as the result frame of call seq.
func (s *server) result(seq uint64, resp *pool.Response) frame {
	b, err := encodeResponse(resp)
	if err != nil {
		b, _ = encodeResponse(&pool.Response{Version: pool.ProtocolVersion, ID: resp.ID, Attempt: resp.Attempt,
			Error: &pool.WireError{Code: pool.CodeBadOutput, Message: "process worker: encode response: " + err.Error()}})
	}
	if len(b) > s.max {
		r := tooLarge(fmt.Sprintf("process worker: result of %d bytes exceeds the message limit of %d bytes (process://?max_message=)", len(b), s.max))
		r.ID, r.Attempt = resp.ID, resp.Attempt
		b, _ = encodeResponse(r)
	}
	return frame{kind: kindResult, seq: seq, payload: b}
}

func encodeResponse(resp *pool.Response) ([]byte, error) {
	hdr := *resp
	hdr.Output = nil
	return appendEnvelope(nil, &hdr, resp.Output)
}

func tooLarge(msg string) *pool.Response {
	return &pool.Response{Version: pool.ProtocolVersion, Error: &pool.WireError{Code: pool.CodeTooLarge, Message: msg}}
}
