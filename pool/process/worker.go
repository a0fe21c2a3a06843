package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

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
// the call pipe.
func serve(ctx context.Context) error {
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
	send := newSender(out)
	h, _ := json.Marshal(hello{PID: os.Getpid(), Build: pool.BuildID()})
	send.send(frame{kind: kindHello, payload: h})

	var (
		mu    sync.Mutex
		calls = map[uint64]context.CancelFunc{}
		wg    sync.WaitGroup
	)
	ctx, cancelAll := context.WithCancel(ctx)
	defer func() { cancelAll(); wg.Wait() }()
	reply := func(seq uint64, resp *pool.Response) {
		b, err := json.Marshal(resp)
		if err != nil {
			b, _ = json.Marshal(&pool.Response{Version: pool.ProtocolVersion, ID: resp.ID, Attempt: resp.Attempt,
				Error: &pool.WireError{Code: pool.CodeBadOutput, Message: "process worker: encode response: " + err.Error()}})
		}
		if len(b) > max {
			b, _ = json.Marshal(&pool.Response{Version: pool.ProtocolVersion, ID: resp.ID, Attempt: resp.Attempt,
				Error: &pool.WireError{Code: pool.CodeTooLarge, Message: fmt.Sprintf(
					"process worker: result of %d bytes exceeds the message limit of %d bytes (process://?max_message=)", len(b), max)}})
		}
		send.send(frame{kind: kindResult, seq: seq, payload: b})
	}
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		f, err := readFrame(r, max)
		var big *errOversize
		switch {
		case errors.As(err, &big):
			reply(big.seq, &pool.Response{Version: pool.ProtocolVersion, Error: &pool.WireError{Code: pool.CodeTooLarge,
				Message: fmt.Sprintf("process worker: call of %d bytes exceeds the message limit of %d bytes", big.size, max)}})
			continue
		case errors.Is(err, io.EOF):
			return nil // the driver closed the pipe: stop
		case err != nil:
			return fmt.Errorf("process worker: read: %w", err)
		}
		switch f.kind {
		case kindCancel:
			mu.Lock()
			if c := calls[f.seq]; c != nil {
				c()
			}
			mu.Unlock()
		case kindCall:
			req := new(pool.Request)
			if err := json.Unmarshal(f.payload, req); err != nil {
				reply(f.seq, &pool.Response{Version: pool.ProtocolVersion, Error: &pool.WireError{Code: pool.CodeProtocol,
					Message: "process worker: undecodable call envelope: " + err.Error()}})
				continue
			}
			cctx, cancel := context.WithCancel(ctx)
			mu.Lock()
			calls[f.seq] = cancel
			mu.Unlock()
			wg.Add(1)
			go func(seq uint64) {
				defer wg.Done()
				resp := pool.Handle(cctx, req)
				mu.Lock()
				delete(calls, seq)
				mu.Unlock()
				cancel()
				reply(seq, resp)
			}(f.seq)
		default:
			reply(f.seq, &pool.Response{Version: pool.ProtocolVersion, Error: &pool.WireError{Code: pool.CodeProtocol,
				Message: fmt.Sprintf("process worker: unknown frame kind %q", f.kind)}})
		}
	}
}
