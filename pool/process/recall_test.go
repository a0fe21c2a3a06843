package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool/driver"
)

// The tests here play the worker's side of the protocol by hand, frame by
// frame, so that they can order what a real worker's timing decides: a
// recall (W) crossing the call's start (S), a worker gone with a recall in
// flight, a caller giving up on a recalled call.

// fakeWorker is an attached worker whose frames the test reads and writes.
type fakeWorker struct {
	t      *testing.T
	name   string
	conn   net.Conn
	frames chan frame
}

func attachFake(t *testing.T, b *Backend, name string) *fakeWorker {
	t.Helper()
	drv, wrk := net.Pipe()
	f := &fakeWorker{t: t, name: name, conn: wrk, frames: make(chan frame, 64)}
	// Read all the time: the driver's flushes must never wait on the test.
	go func() {
		defer close(f.frames)
		r := bufio.NewReader(wrk)
		for {
			fr, err := readFrame(r, defaultMaxMessage)
			if err != nil {
				return
			}
			f.frames <- fr
		}
	}()
	if _, err := b.Attach(drv, name); err != nil {
		t.Fatal(err)
	}
	h, _ := json.Marshal(hello{PID: 1, Build: driver.BuildID()})
	f.send(frame{kind: kindHello, payload: h})
	return f
}

func (f *fakeWorker) send(fr frame) {
	f.t.Helper()
	if _, err := f.conn.Write(appendFrame(nil, fr)); err != nil {
		f.t.Fatalf("worker %s: write %c: %v", f.name, fr.kind, err)
	}
}

// expect returns the next frame the driver sent, which must be of kind; the
// timeout only keeps a broken driver from hanging the test.
func (f *fakeWorker) expect(kind byte) (frame, *driver.Request) {
	f.t.Helper()
	select {
	case fr, ok := <-f.frames:
		if !ok {
			f.t.Fatalf("worker %s: stream closed, want a %c frame", f.name, kind)
		}
		if fr.kind != kind {
			f.t.Fatalf("worker %s: got a %c frame for seq %d, want %c", f.name, fr.kind, fr.seq, kind)
		}
		var req *driver.Request
		if kind == kindCall || kind == kindQueue {
			req = new(driver.Request)
			if _, err := splitEnvelope(fr.payload, req); err != nil {
				f.t.Fatal(err)
			}
		}
		return fr, req
	case <-time.After(30 * time.Second):
		f.t.Fatalf("worker %s: no %c frame from the driver", f.name, kind)
	}
	panic("unreachable")
}

// quiet fails if the driver sent anything that was not read yet.
func (f *fakeWorker) quiet() {
	f.t.Helper()
	select {
	case fr, ok := <-f.frames:
		if ok {
			f.t.Fatalf("worker %s: unexpected %c frame for seq %d", f.name, fr.kind, fr.seq)
		}
	default:
	}
}

func (f *fakeWorker) result(seq, id uint64) {
	f.t.Helper()
	p, err := encodeResponse(&driver.Response{Version: driver.ProtocolVersion, ID: id, Attempt: 1, Output: json.RawMessage(fmt.Sprint(id))})
	if err != nil {
		f.t.Fatal(err)
	}
	f.send(frame{kind: kindResult, seq: seq, payload: p})
}

type outcome struct {
	id   uint64
	resp *driver.Response
	err  error
}

// recallSetup attaches workers a and b with one slot each and brings about
// the state a recall is for: call 1 runs on a, call 2 ran on b and ended,
// call 3 waits beside a, and the driver has asked a for call 3 back.
func recallSetup(t *testing.T, ctx3 context.Context) (b *Backend, wa, wb *fakeWorker, s1, s3 uint64, done chan outcome) {
	b = NewAttached(Options{Workers: 2})
	t.Cleanup(func() { b.Close() })
	b.Queue(2)
	wa = attachFake(t, b, "a")
	wb = attachFake(t, b, "b")
	for {
		b.mu.Lock()
		n := b.readyLocked()
		ch := b.changed
		b.mu.Unlock()
		if n == 2 {
			break
		}
		<-ch
	}
	done = make(chan outcome, 8)
	invoke := func(ctx context.Context, id uint64) {
		go func() {
			resp, err := b.Invoke(ctx, &driver.Request{Version: driver.ProtocolVersion, Func: "f", ID: id, Attempt: 1})
			done <- outcome{id, resp, err}
		}()
	}
	t.Cleanup(func() {
		wa.conn.Close()
		wb.conn.Close()
	})
	invoke(context.Background(), 1)
	f1, _ := wa.expect(kindCall)
	invoke(context.Background(), 2)
	f2, _ := wb.expect(kindCall)
	invoke(ctx3, 3)
	f3, _ := wa.expect(kindQueue)
	wb.result(f2.seq, 2)
	if o := <-done; o.id != 2 || o.err != nil {
		t.Fatalf("call %d: %v", o.id, o.err)
	}
	// b is idle with nothing beside it while a runs call 1 with call 3
	// waiting: the driver asks for call 3 back rather than start it on a.
	if w, _ := wa.expect(kindRecall); w.seq != f3.seq {
		t.Fatalf("recall of seq %d, want %d", w.seq, f3.seq)
	}
	return b, wa, wb, f1.seq, f3.seq, done
}

// books checks that the driver's counts went back to nothing.
func books(t *testing.T, b *Backend) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running != 0 || b.returning != 0 || b.reservedLocked() != 0 || len(b.held) != 0 {
		t.Fatalf("books after every call ended: running %d, returning %d, reserved %d, held %d", b.running, b.returning, b.reservedLocked(), len(b.held))
	}
	for _, w := range b.workers {
		if w.running != 0 || w.recalls != 0 || len(w.queue) != 0 || len(w.pending) != 0 {
			t.Fatalf("worker %s after every call ended: running %d, recalls %d, queue %d, pending %d", w.name, w.running, w.recalls, len(w.queue), len(w.pending))
		}
	}
}

func wantResult(t *testing.T, o outcome) {
	t.Helper()
	if o.err != nil || o.resp == nil || string(o.resp.Output) != fmt.Sprint(o.id) {
		t.Fatalf("call %d: %+v, %v", o.id, o.resp, o.err)
	}
}

// A recalled call handed back runs at once on the idle worker.
func TestRecalledCallRunsOnTheIdleWorker(t *testing.T) {
	_, wa, wb, s1, s3, done := recallSetup(t, context.Background())
	wa.send(frame{kind: kindRefused, seq: s3})
	f, req := wb.expect(kindCall)
	if req.ID != 3 {
		t.Fatalf("b got call %d, want 3", req.ID)
	}
	wb.result(f.seq, 3)
	wantResult(t, <-done)
	wa.result(s1, 1)
	wantResult(t, <-done)
	wa.quiet()
	wb.quiet()
}

// The recall crosses the call's start: a's call 1 ended and a started call
// 3 before the recall arrived, so a ignores it. Call 3 runs on a, once.
func TestRecallCrossingTheStart(t *testing.T) {
	b, wa, wb, s1, s3, done := recallSetup(t, context.Background())
	wa.send(frame{kind: kindStarted, seq: s3})
	wa.result(s1, 1)
	wantResult(t, <-done)
	wa.result(s3, 3)
	wantResult(t, <-done)
	wa.quiet()
	wb.quiet()
	books(t, b)
}

// A call made while a recall is in flight does not take the slot the
// recalled call is on its way to: it waits, and the recalled call runs.
func TestRecallKeepsTheSlot(t *testing.T) {
	b, wa, wb, s1, s3, done := recallSetup(t, context.Background())
	go func() {
		resp, err := b.Invoke(context.Background(), &driver.Request{Version: driver.ProtocolVersion, Func: "f", ID: 4, Attempt: 1})
		done <- outcome{4, resp, err}
	}()
	// Call 4 waits (beside b, idle and below its share) before a hands
	// call 3 back; then call 3 runs on b, call 4 still waiting.
	f4, req4 := wb.expect(kindQueue)
	if req4.ID != 4 {
		t.Fatalf("b got call %d queued, want 4", req4.ID)
	}
	wa.send(frame{kind: kindRefused, seq: s3})
	f3, req3 := wb.expect(kindCall)
	if req3.ID != 3 {
		t.Fatalf("b got call %d to run, want 3", req3.ID)
	}
	// b does what a worker does: starts call 4 as call 3 ends.
	wb.send(frame{kind: kindStarted, seq: f4.seq})
	wb.result(f3.seq, 3)
	wantResult(t, <-done)
	wb.result(f4.seq, 4)
	wantResult(t, <-done)
	wa.result(s1, 1)
	wantResult(t, <-done)
	wa.quiet()
	wb.quiet()
	books(t, b)
}

// The worker asked for a call back dies before it answers: the call goes to
// the other worker, and the lost recall reserves nothing.
func TestWorkerLostWithARecallInFlight(t *testing.T) {
	b, wa, wb, _, _, done := recallSetup(t, context.Background())
	wa.conn.Close()
	f, req := wb.expect(kindCall)
	if req.ID != 3 {
		t.Fatalf("b got call %d, want 3", req.ID)
	}
	o := <-done
	if o.id != 1 || !errors.Is(o.err, driver.ErrWorkerLost) {
		t.Fatalf("call %d: %v, want call 1 lost with its worker", o.id, o.err)
	}
	wb.result(f.seq, 3)
	wantResult(t, <-done)
	wb.quiet()
	books(t, b)
}

// The caller of a recalled call gives up before its worker hands it back:
// the slot kept for it is free again, and the next call runs there.
func TestAbandonedRecalledCallFreesItsSlot(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b, wa, wb, s1, s3, done := recallSetup(t, ctx)
	cancel()
	if o := <-done; o.id != 3 || !errors.Is(o.err, context.Canceled) {
		t.Fatalf("call %d: %v, want call 3 cancelled", o.id, o.err)
	}
	if x, _ := wa.expect(kindCancel); x.seq != s3 {
		t.Fatalf("cancel of seq %d, want %d", x.seq, s3)
	}
	wa.send(frame{kind: kindRefused, seq: s3}) // the recall arrived first
	go func() {
		resp, err := b.Invoke(context.Background(), &driver.Request{Version: driver.ProtocolVersion, Func: "f", ID: 5, Attempt: 1})
		done <- outcome{5, resp, err}
	}()
	// Made before the refusal is settled, call 5 waits beside b, and the
	// refusal promotes it; made after, it runs on b at once.
	var f frame
	var req *driver.Request
	select {
	case f = <-wb.frames:
	case <-time.After(30 * time.Second):
		t.Fatal("call 5 was not sent")
	}
	switch f.kind {
	case kindQueue:
		if p, _ := wb.expect(kindPromote); p.seq != f.seq {
			t.Fatalf("promotion of seq %d, want %d", p.seq, f.seq)
		}
		fallthrough
	case kindCall:
		req = new(driver.Request)
		if _, err := splitEnvelope(f.payload, req); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("b got a %c frame, want call 5", f.kind)
	}
	if req.ID != 5 {
		t.Fatalf("b got call %d, want 5", req.ID)
	}
	wb.result(f.seq, 5)
	wantResult(t, <-done)
	wa.result(s1, 1)
	wantResult(t, <-done)
	wa.quiet()
	wb.quiet()
	books(t, b)
}
