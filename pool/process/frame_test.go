package process

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"github.com/burst-dev/burst/pool/driver"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	in := []frame{{kindCall, 1, []byte(`{"v":1}`)}, {kindCancel, 2, nil}, {kindResult, 1 << 60, bytes.Repeat([]byte("x"), 5000)}}
	for _, f := range in {
		if err := writeFrame(w, f); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	r := bufio.NewReader(&buf)
	for i, want := range in {
		got, err := readFrame(r, 1<<20)
		if err != nil || got.kind != want.kind || got.seq != want.seq || !bytes.Equal(got.payload, want.payload) {
			t.Fatalf("frame %d: got %+v, %v; want %+v", i, got, err, want)
		}
	}
}

func TestOversizeFrameIsSkippedAndStreamStaysInStep(t *testing.T) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	writeFrame(w, frame{kindCall, 9, make([]byte, 100)})
	writeFrame(w, frame{kindCall, 10, []byte("ok")})
	w.Flush()
	r := bufio.NewReader(&buf)
	_, err := readFrame(r, 50)
	var big *errOversize
	if !errors.As(err, &big) || big.seq != 9 || big.size != 100 {
		t.Fatalf("err = %v, want oversize for call 9 of 100 bytes", err)
	}
	f, err := readFrame(r, 50)
	if err != nil || f.seq != 10 || string(f.payload) != "ok" {
		t.Fatalf("next frame = %+v, %v", f, err)
	}
}

// FuzzReadFrame: no input makes the frame decoder panic or allocate past the
// limit.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("C\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02{}"))
	f.Add([]byte("R\x00\x00\x00\x00\x00\x00\x00\x01\xff\xff\xff\xff"))
	f.Add([]byte("X"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		for range 10 {
			fr, err := readFrame(r, 1<<16)
			if err != nil {
				var big *errOversize
				if errors.As(err, &big) {
					continue
				}
				return
			}
			if len(fr.payload) > 1<<16 {
				t.Fatalf("payload of %d bytes past the limit", len(fr.payload))
			}
		}
	})
}

// The envelope split must never panic on a hostile frame, and must give back
// exactly what was put in.
func FuzzSplitEnvelope(f *testing.F) {
	good, _ := appendEnvelope(nil, &driver.Request{Version: 1, Func: "f", ID: 7}, []byte(`{"x":1}`))
	f.Add(good)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{5, '{', '}'})
	f.Fuzz(func(t *testing.T, p []byte) {
		var req driver.Request
		payload, err := splitEnvelope(p, &req)
		if err != nil {
			return
		}
		again, err := appendEnvelope(nil, &req, payload)
		if err != nil {
			t.Fatal(err)
		}
		var req2 driver.Request
		payload2, err := splitEnvelope(again, &req2)
		if err != nil || !bytes.Equal(payload, payload2) || req2.ID != req.ID || req2.Func != req.Func {
			t.Fatalf("round trip changed the envelope: %v %q %q", err, payload, payload2)
		}
	})
}

func writeFrame(w *bufio.Writer, f frame) error {
	_, err := w.Write(appendFrame(nil, f))
	return err
}
