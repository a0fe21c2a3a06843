package pool_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
)

// FuzzHandleEnvelope feeds arbitrary bytes to the worker side as a call
// envelope: whatever arrives, decoding and Handle must not panic, and every
// envelope that decodes gets a response naming its call.
func FuzzHandleEnvelope(f *testing.F) {
	f.Add([]byte(`{"v":1,"func":"test.square","id":7,"attempt":1,"codec":"json","input":3}`))
	f.Add([]byte(`{"v":1,"func":"test.square","id":7,"attempt":1,"codec":"gob","input":"AAEC"}`))
	f.Add([]byte(`{"v":1,"func":"test.panicky","id":1,"codec":"json","input":"x"}`))
	f.Add([]byte(`{"v":2,"func":"nope"}`))
	f.Add([]byte(`{"v":1,"func":"test.square","codec":"json","input":{"a":[1,2]},"deadline":-5}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var req driver.Request
		if err := json.Unmarshal(data, &req); err != nil {
			return
		}
		resp := driver.Handle(context.Background(), &req)
		if resp == nil || resp.ID != req.ID {
			t.Fatalf("Handle(%s) = %+v, want a response for call %d", data, resp, req.ID)
		}
		if resp.Error == nil && resp.Output == nil {
			t.Fatalf("Handle(%s): neither output nor error", data)
		}
	})
}

// An envelope without "codec" is JSON, as docs/protocol.md says: senders in
// other languages may leave it out. It used to be refused (unknown codec "").
func TestEnvelopeWithoutCodecIsJSON(t *testing.T) {
	var req driver.Request
	if err := json.Unmarshal([]byte(`{"v":1,"func":"test.square","id":7,"attempt":1,"input":12}`), &req); err != nil {
		t.Fatal(err)
	}
	resp := driver.Handle(context.Background(), &req)
	if resp.Error != nil {
		t.Fatalf("envelope without codec: %s", resp.Error.Message)
	}
	if string(resp.Output) != "144" {
		t.Errorf("output %s, want 144", resp.Output)
	}
}

// Any query of a pool URL is read or refused with an error naming the
// parameter: never a panic.
func FuzzPoolURLParameters(f *testing.F) {
	for _, q := range []string{"limit=4", "retries=2&timeout=30s&codec=json", "limit=-1", "timeout=1e400h", "codec=nope&limit=99999999999999999999999", "%zz"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		p, err := pool.Open(context.Background(), "local://?"+q)
		if err != nil {
			if !strings.Contains(err.Error(), "parameter") && !strings.Contains(err.Error(), "local") {
				t.Fatalf("local://?%s: error %q names no parameter", q, err)
			}
			return
		}
		p.Close()
	})
}
