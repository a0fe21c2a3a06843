package driver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/burst-dev/burst/codec"
)

// ProtocolVersion is the version of the call and result envelopes; see
// docs/protocol.md.
const ProtocolVersion = 1

// Request is the call envelope a backend carries to a worker.
type Request struct {
	Version  int    `json:"v"`
	Func     string `json:"func"`
	Job      string `json:"job"`                // id of the pool that made the call
	ID       uint64 `json:"id"`                 // call id, unique within the job
	Attempt  int    `json:"attempt"`            // 1 for the first attempt
	Deadline int64  `json:"deadline,omitempty"` // unix nanoseconds; 0 for none
	// Timeout, in nanoseconds, bounds the function from the moment it
	// starts; backends that hold calls waiting (Queuer) use it instead of
	// folding the pool's timeout into Deadline. 0 for none.
	Timeout int64  `json:"timeout,omitempty"`
	Codec   string `json:"codec"`           // "" means json (senders in other languages may leave it out)
	Build   string `json:"build,omitempty"` // driver's build id; empty skips the check
	// Input is the encoded argument: the codec's bytes themselves when the
	// codec is JSON (so envelopes stay readable), a base64 string otherwise.
	Input json.RawMessage `json:"input,omitempty"`
	// InputRef names an object holding the input when it was too large to
	// travel inline; the backend that set it resolves it.
	InputRef string `json:"input_ref,omitempty"`
	// Backup marks a speculative second attempt of a slow call
	// (pool.WithBackups); a backend with several workers should not run it
	// on the worker running the first.
	Backup bool `json:"backup,omitempty"`
	// Values are the pool's call values (pool.WithCallValue): named
	// strings that hooks in the worker (RegisterContextHook) turn into the
	// function's context, such as the driver's storage and shared state.
	Values map[string]string `json:"values,omitempty"`

	onStart func()
}

// Response is the result envelope a worker sends back.
type Response struct {
	Version   int             `json:"v"`
	ID        uint64          `json:"id"`
	Attempt   int             `json:"attempt"`
	Output    json.RawMessage `json:"output,omitempty"` // as Request.Input
	OutputRef string          `json:"output_ref,omitempty"`
	Error     *WireError      `json:"error,omitempty"`
	Worker    string          `json:"worker,omitempty"` // worker identity (host/pid, instance id)
	Cold      bool            `json:"cold,omitempty"`   // first call this worker served
	Start     int64           `json:"start,omitempty"`  // unix nanoseconds, worker clock
	End       int64           `json:"end,omitempty"`
}

// WireError is a failure as carried in a Response.
type WireError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Type      string `json:"type,omitempty"`
	Retryable bool   `json:"retryable,omitempty"`
	Stack     string `json:"stack,omitempty"` // for panics
	// Cause is the function's error as the tree of errors it wraps, so the
	// driver can rebuild sentinels and registered types that errors.Is and
	// errors.As look for (see pool.RegisterError). Absent for failures of the
	// machinery and from senders that predate it.
	Cause *ErrorNode `json:"cause,omitempty"`
}

// ErrorNode is one error of a WireError's Cause: its message and, when the
// sender knew it as a registered sentinel or type, how to rebuild it.
type ErrorNode struct {
	Msg      string       `json:"msg"`
	Sentinel string       `json:"sentinel,omitempty"` // a registered sentinel's key ("*errors.errorString:EOF")
	Type     string       `json:"type,omitempty"`     // Go type; with Value, a registered type's key
	Value    []byte       `json:"value,omitempty"`    // that type's value, encoded with codec.Binary
	Wrapped  []*ErrorNode `json:"wrapped,omitempty"`  // what it wraps (Unwrap)
}

// EncodePayload puts codec bytes into an envelope field.
func EncodePayload(c codec.Codec, b []byte) json.RawMessage {
	if c.Name() == "json" {
		return b
	}
	if b == nil {
		return json.RawMessage("null") // as json.Marshal has it
	}
	// The JSON string json.Marshal makes of a []byte, written directly
	// into one allocation: every call and every result carries one.
	s := make([]byte, 0, base64.StdEncoding.EncodedLen(len(b))+2)
	s = append(s, '"')
	s = base64.StdEncoding.AppendEncode(s, b)
	return append(s, '"')
}

// DecodePayload is the inverse of EncodePayload.
func DecodePayload(c codec.Codec, raw json.RawMessage) ([]byte, error) {
	if c.Name() == "json" {
		return raw, nil
	}
	// What EncodePayload writes, a string of base64 without escapes, is
	// decoded directly: json.Unmarshal validates the field byte by byte
	// first and cost seven times the decoding itself. Base64 refuses the
	// quote and backslash of escapes but skips line breaks, which JSON
	// refuses in a string; anything else takes json.Unmarshal's path, for
	// its result or its error.
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		body := raw[1 : n-1]
		if bytes.IndexByte(body, '\n') < 0 && bytes.IndexByte(body, '\r') < 0 {
			if b, err := base64.StdEncoding.AppendDecode(make([]byte, 0, base64.StdEncoding.DecodedLen(len(body))), body); err == nil {
				return b, nil
			}
		}
	}
	var b []byte
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("payload for codec %s is not a base64 string: %w", c.Name(), err)
	}
	return b, nil
}

// OnStart sets fn to be told when the call starts running (the pool uses it
// to time calls for backups); Started tells it. Not sent to the worker.
func (r *Request) OnStart(fn func()) { r.onStart = fn }

// Started tells the pool that the call has started running on a worker. A
// Queuer backend calls it when a call it held waiting starts; for other
// backends the pool takes a call to start when Invoke is called. It may be
// called any number of times, on any request.
func (r *Request) Started() {
	if r != nil && r.onStart != nil {
		r.onStart()
	}
}
