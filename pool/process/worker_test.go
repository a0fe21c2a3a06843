package process

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool/driver"
)

// slowStream is an output that takes its time over each write, as a
// network connection on a busy machine does.
type slowStream struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *slowStream) Write(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *slowStream) frames(t *testing.T) []frame {
	w.mu.Lock()
	defer w.mu.Unlock()
	var fs []frame
	r := bufio.NewReader(bytes.NewReader(w.buf.Bytes()))
	for {
		f, err := readFrame(r, defaultMaxMessage)
		if err == io.EOF {
			return fs
		}
		if err != nil {
			t.Fatalf("worker output: %v", err)
		}
		fs = append(fs, f)
	}
}

// A call that reaches a worker after it said goodbye is refused, and the
// refusal is on the stream before Serve returns (its caller closes the
// stream then). CI lost one on a loaded machine: the refusal was still
// being written by a goroutine of its own when the worker closed its
// connection, and the driver failed a call that never ran.
func TestRefusalIsWrittenBeforeServeReturns(t *testing.T) {
	in, feed := io.Pipe()
	out := new(slowStream)
	ctx, leave := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveStream(ctx, in, out, defaultMaxMessage, 5*time.Second, nil) }()

	leave() // the worker says goodbye
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if fs := out.frames(t); len(fs) > 0 && fs[len(fs)-1].kind == kindBye {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no goodbye from a worker whose context ended")
		}
	}
	env, err := appendEnvelope(nil, &driver.Request{Version: driver.ProtocolVersion, ID: 1, Func: "f"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := feed.Write(appendFrame(nil, frame{kind: kindCall, seq: 7, payload: env})); err != nil {
		t.Fatal(err)
	}
	feed.Close()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	fs := out.frames(t)
	if last := fs[len(fs)-1]; last.kind != kindRefused || last.seq != 7 {
		t.Fatalf("last frame before Serve returned: %q seq %d, want the refusal of call 7", last.kind, last.seq)
	}
}
