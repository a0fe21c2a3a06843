package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/internal/rawio"
)

// Environment variables the driver sets for its workers.
const (
	envWorker     = "BURST_PROCESS_WORKER" // worker index; its presence marks a worker
	envMaxMessage = "BURST_PROCESS_MAX_MESSAGE"
	envGrace      = "BURST_PROCESS_GRACE" // a Go duration
	envTransport  = "BURST_PROCESS_TRANSPORT"
)

type hello struct {
	PID   int    `json:"pid"`
	Build string `json:"build"`
	// Ping: the worker answers K frames with A. A driver pings only
	// workers that say so, so a worker without it (an older one, or one in
	// another language) is never declared lost for not answering; it is
	// simply not watched.
	Ping bool `json:"ping,omitempty"`
}

func init() {
	driver.RegisterExplicitWorker("process", func() bool { return os.Getenv(envWorker) != "" }, serve)
}

// serve is the worker side: read calls, answer them, run each call in its
// own goroutine so many can be in flight, until the driver closes the call
// pipe (or dies, which closes it too), the process is told to stop
// (SIGTERM, SIGINT: ctx ends), or a function breaks the worker. Calls the
// driver sends as waiting start, in order, as this worker's running calls
// end, or when the driver promotes them.
func serve(ctx context.Context) error {
	var in, out, trip *os.File
	var err error
	if os.Getenv(envTransport) == transportStdio {
		in, out, err = stdioFiles()
	} else {
		in, out, trip, err = protocolFiles()
	}
	if err != nil {
		return fmt.Errorf("process worker: %w", err)
	}
	max := defaultMaxMessage
	if v, err := strconv.Atoi(os.Getenv(envMaxMessage)); err == nil && v > 0 {
		max = v
	}
	grace := defaultGrace
	if d, err := time.ParseDuration(os.Getenv(envGrace)); err == nil && d >= 0 {
		grace = d
	}
	host, _ := os.Hostname()
	driver.SetWorkerID(fmt.Sprintf("%s/%d#%s", host, os.Getpid(), os.Getenv(envWorker)))
	// A program a function runs is not this driver's worker.
	os.Unsetenv(envWorker)
	return serveStream(ctx, in, out, max, grace, trip)
}

// Serve is the worker side of the protocol over any stream: it says hello on
// out, then runs the calls read from in, each in its own goroutine, writing
// their results to out, until in ends (io.EOF: the driver is done; a caller
// whose ctx should end the serving closes in), or ctx ends, or a function
// breaks the worker (then Serve tells the driver it leaves and closes in, if
// in is an io.Closer). Calls still running then are cancelled and given the
// grace period of one second to return. pool/tcp serves a network
// connection with it; maxMessage bounds a frame (0: the default of 64 MiB).
func Serve(ctx context.Context, in io.Reader, out io.Writer, maxMessage int) error {
	if maxMessage < 1 {
		maxMessage = defaultMaxMessage
	}
	return serveStream(ctx, in, out, maxMessage, defaultGrace, nil)
}

// serveStream is Serve with the grace period and, for a child process, the
// tripwire on its old protocol descriptors.
func serveStream(ctx context.Context, in io.Reader, out io.Writer, max int, grace time.Duration, trip *os.File) error {
	rin, _ := rawio.Stream(in)
	_, rout := rawio.Stream(out)
	s := &server{in: in, send: newSender(rout), max: max, grace: grace, running: map[uint64]*active{}}
	h, _ := json.Marshal(hello{PID: os.Getpid(), Build: driver.BuildID(), Ping: true})
	s.send.send(frame{kind: kindHello, payload: h})

	callCtx, cancelAll := context.WithCancel(context.WithoutCancel(ctx))
	s.ctx = callCtx
	defer func() {
		// Leaving: no result goes out any more (the driver retries what was
		// running here elsewhere), running calls are cancelled, and they get
		// the grace period to clean up before the process ends under them.
		s.mu.Lock()
		s.quitting = true
		s.mu.Unlock()
		cancelAll()
		ended := make(chan struct{})
		go func() { s.wg.Wait(); close(ended) }()
		select {
		case <-ended:
		case <-time.After(grace):
		}
		// Refusals may still be on their way out: the caller closes the
		// stream when we return, and a refusal lost there fails a call
		// that never ran ("died with the call in flight"). A peer that
		// stopped reading gets the grace period, not forever.
		drained := make(chan struct{})
		go func() { s.send.drain(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(grace):
		}
	}()
	stop := context.AfterFunc(ctx, func() { s.quit(nil) })
	defer stop()
	if trip != nil {
		go s.watchTripwire(trip)
	}
	r := bufio.NewReaderSize(rin, 64<<10)
	for {
		f, err := readFrame(r, max)
		var big *errOversize
		switch {
		case errors.As(err, &big):
			s.reply(big.seq, tooLarge(fmt.Sprintf("process worker: call of %d bytes exceeds the message limit of %d bytes", big.size, max)))
			continue
		case err != nil:
			s.mu.Lock()
			quit, why := s.quitting, s.quitErr
			s.mu.Unlock()
			switch {
			case quit:
				return why
			case errors.Is(err, io.EOF):
				return nil // the driver closed the pipe, or died: stop
			}
			return fmt.Errorf("process worker: read: %w", err)
		}
		switch f.kind {
		case kindCall, kindQueue:
			req := new(driver.Request)
			input, err := splitEnvelope(f.payload, req)
			if err != nil {
				s.reply(f.seq, &driver.Response{Version: driver.ProtocolVersion, Error: &driver.WireError{Code: driver.CodeProtocol,
					Message: "process worker: undecodable call envelope: " + err.Error()}})
				continue
			}
			req.Input = input
			s.mu.Lock()
			if s.quitting {
				s.refuseLocked(f.seq)
			} else if f.kind == kindCall {
				s.startLocked(f.seq, req)
			} else {
				if req.Backup {
					// A backup of a straggling call goes first.
					s.queue = slices.Insert(s.queue, 0, waiting{f.seq, req})
				} else {
					s.queue = append(s.queue, waiting{f.seq, req})
				}
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
		case kindRecall:
			// The driver wants the call run on a worker that has gone
			// idle. Started already (as a call here ended), it stays:
			// the driver has our S for it.
			s.mu.Lock()
			i := s.waitingAt(f.seq)
			if i >= 0 {
				s.queue = slices.Delete(s.queue, i, i+1)
			}
			s.mu.Unlock()
			if i >= 0 {
				s.send.send(frame{kind: kindRefused, seq: f.seq})
			}
		case kindPing:
			// Answered here, by the reader, which runs while calls do: the
			// answer wakes no other goroutine (a write in progress takes it
			// along), and a worker that answers is alive however long its
			// calls run.
			s.send.send(frame{kind: kindAlive, seq: f.seq})
		case kindCancel:
			s.mu.Lock()
			if a := s.running[f.seq]; a != nil {
				a.cancel()
			} else if i := s.waitingAt(f.seq); i >= 0 {
				wt := s.queue[i]
				s.queue = slices.Delete(s.queue, i, i+1)
				s.mu.Unlock()
				s.reply(f.seq, &driver.Response{Version: driver.ProtocolVersion, ID: wt.req.ID, Attempt: wt.req.Attempt,
					Error: &driver.WireError{Code: driver.CodeCanceled, Message: "process worker: call cancelled before it started"}})
				continue
			}
			s.mu.Unlock()
		default:
			s.reply(f.seq, &driver.Response{Version: driver.ProtocolVersion, Error: &driver.WireError{Code: driver.CodeProtocol,
				Message: fmt.Sprintf("process worker: unknown frame kind %q", f.kind)}})
		}
	}
}

type waiting struct {
	seq uint64
	req *driver.Request
}

// active is a running call.
type active struct {
	req    *driver.Request
	cancel context.CancelFunc
}

// server is one worker's state: the calls running and those waiting.
type server struct {
	ctx      context.Context
	in       io.Reader
	send     *sender
	max      int
	grace    time.Duration
	wg       sync.WaitGroup
	mu       sync.Mutex
	running  map[uint64]*active
	queue    []waiting
	quitting bool  // no more calls start and no more results go out
	quitErr  error // why serve returns
}

func (s *server) waitingAt(seq uint64) int {
	return slices.IndexFunc(s.queue, func(w waiting) bool { return w.seq == seq })
}

// startLocked runs a call in its own goroutine. When it ends, the first
// waiting call takes its place in the same goroutine once the result is
// written, so the worker spends no time between the two calls on the
// driver. s.mu is held.
func (s *server) startLocked(seq uint64, req *driver.Request) {
	if s.quitting {
		s.refuseLocked(seq)
		return
	}
	ctx, cancel := s.trackLocked(seq, req)
	s.wg.Go(func() {
		returned := false
		defer func() {
			if !returned {
				// A panic is caught in driver.Handle, but the function
				// runs on this goroutine (OnCaller), so runtime.Goexit
				// (t.FailNow, log.Fatal's cousins in libraries) ends it
				// here. The call gets its answer; the worker, whose state
				// the function may have left half-changed and whose
				// waiting calls this goroutine would have run, is replaced.
				s.fail(fmt.Errorf("process worker: function %q called runtime.Goexit during call %d; the worker is replaced", req.Func, req.ID),
					map[uint64]string{seq: fmt.Sprintf("process worker: function %q called runtime.Goexit instead of returning (a t.FailNow or similar outside a test?); the worker is replaced", req.Func)}, false)
			}
		}()
		for {
			resp := driver.Handler{OnCaller: true}.Handle(ctx, req)
			cancel()
			result := s.result(seq, resp)
			s.mu.Lock()
			if s.running[seq] == nil || s.quitting {
				// Answered already (by fail) or leaving: no result.
				s.mu.Unlock()
				returned = true
				return
			}
			delete(s.running, seq)
			more := len(s.queue) > 0
			if more {
				wt := s.queue[0]
				s.queue = s.queue[1:]
				seq, req = wt.seq, wt.req
				ctx, cancel = s.trackLocked(seq, req)
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
				returned = true
				return
			}
			// Calls that run back to back on this goroutine never pass
			// through the scheduler, so the runtime takes them for one
			// goroutine running too long and interrupts the function with
			// a preemption signal every 10 ms. Yielding between calls costs
			// less than the signal, and lets the reader take in waiting
			// frames before the next call rather than in the middle of it.
			runtime.Gosched()
		}
	})
}

// trackLocked records a call as running and returns its context; s.mu is
// held.
func (s *server) trackLocked(seq uint64, req *driver.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(s.ctx)
	s.running[seq] = &active{req: req, cancel: cancel}
	return ctx, cancel
}

// fail answers the calls in msgs with a protocol error each and makes the
// worker quit with err. The answers go out before the worker stops sending,
// and before any call that arrives later could start.
func (s *server) fail(err error, msgs map[uint64]string, retryable bool) {
	s.mu.Lock()
	if s.quitting {
		s.mu.Unlock()
		return
	}
	var fs []frame
	for seq, msg := range msgs {
		a := s.running[seq]
		resp := &driver.Response{Version: driver.ProtocolVersion,
			Error: &driver.WireError{Code: driver.CodeProtocol, Message: msg, Retryable: retryable}}
		if a != nil {
			resp.ID, resp.Attempt = a.req.ID, a.req.Attempt
		}
		delete(s.running, seq)
		fs = append(fs, s.result(seq, resp))
	}
	s.send.enqueue(fs...)
	s.quitLocked(err)
}

// quit stops the worker, which then ends serve with err: it tells the driver
// it is leaving, hands back the calls waiting here and every call that
// still arrives, and stops sending results, so that the driver retries the
// calls running here on another worker. The driver answers by closing the
// call pipe; should it not, the worker stops reading after the grace period.
func (s *server) quit(err error) {
	s.mu.Lock()
	if s.quitting {
		s.mu.Unlock()
		return
	}
	s.quitLocked(err)
}

// quitLocked is quit with s.mu held; it unlocks it.
func (s *server) quitLocked(err error) {
	s.quitting, s.quitErr = true, err
	s.send.enqueue(frame{kind: kindBye})
	for _, w := range s.queue {
		s.send.enqueue(frame{kind: kindRefused, seq: w.seq})
	}
	s.queue = nil
	s.mu.Unlock()
	s.send.flush()
	if c, ok := s.in.(io.Closer); ok {
		time.AfterFunc(s.grace, func() { c.Close() })
	}
}

// refuseLocked hands call seq back to the driver unstarted; s.mu is held.
func (s *server) refuseLocked(seq uint64) {
	s.send.enqueue(frame{kind: kindRefused, seq: seq})
	go s.send.flush()
}

// watchTripwire fails the running calls when anything arrives on the
// tripwire over fds 3 and 4: a function wrote to the protocol descriptors.
// Which of the running calls did cannot be told, so with several running
// each one's error is marked retryable.
func (s *server) watchTripwire(trip *os.File) {
	buf := make([]byte, 4096)
	n, err := trip.Read(buf)
	if err != nil || n == 0 {
		return
	}
	s.mu.Lock()
	msgs := map[uint64]string{}
	for seq, a := range s.running {
		msgs[seq] = fmt.Sprintf("process worker: a function wrote to fd 3 or 4, the process backend's protocol descriptors (%q…), while call %d of %q ran with %d others; the worker is replaced (write to os.Stdout, os.Stderr or a file instead)",
			buf[:min(n, 32)], a.req.ID, a.req.Func, len(s.running)-1)
	}
	s.mu.Unlock()
	s.fail(errors.New("process worker: a function wrote to the protocol descriptors; the worker is replaced"), msgs, len(msgs) > 1)
}

// reply sends resp as the result of call seq.
func (s *server) reply(seq uint64, resp *driver.Response) { s.send.send(s.result(seq, resp)) }

// result encodes resp as the result frame of call seq.
func (s *server) result(seq uint64, resp *driver.Response) frame {
	b, err := encodeResponse(resp)
	if err != nil {
		b, _ = encodeResponse(&driver.Response{Version: driver.ProtocolVersion, ID: resp.ID, Attempt: resp.Attempt,
			Error: &driver.WireError{Code: driver.CodeBadOutput, Message: "process worker: encode response: " + err.Error()}})
	}
	if len(b) > s.max {
		r := tooLarge(fmt.Sprintf("process worker: result of %d bytes exceeds the message limit of %d bytes (process://?max_message=)", len(b), s.max))
		r.ID, r.Attempt = resp.ID, resp.Attempt
		b, _ = encodeResponse(r)
	}
	return frame{kind: kindResult, seq: seq, payload: b}
}

func encodeResponse(resp *driver.Response) ([]byte, error) {
	hdr := *resp
	hdr.Output = nil
	return appendEnvelope(nil, &hdr, resp.Output)
}

func tooLarge(msg string) *driver.Response {
	return &driver.Response{Version: driver.ProtocolVersion, Error: &driver.WireError{Code: driver.CodeTooLarge, Message: msg}}
}

// Transports (Options.Transport).
const (
	transportFD    = "fd"
	transportStdio = "stdio"
)
