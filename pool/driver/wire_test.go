package driver

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/burst-dev/burst/codec"
)

// EncodePayload writes what json.Marshal writes for the bytes, and
// DecodePayload reads every JSON form of them as json.Unmarshal does,
// including the escaped and spaced ones its fast path hands over, and
// refuses what json.Unmarshal refuses.
func TestPayloadIsJSONOfBytes(t *testing.T) {
	for _, b := range [][]byte{nil, {}, {0}, []byte("any bytes \x00\xff\"\\\n"), bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 700)} {
		want, _ := json.Marshal(b)
		got := EncodePayload(codec.Binary, b)
		if !bytes.Equal(got, want) {
			t.Errorf("EncodePayload(%q) = %s, json.Marshal has %s", b, got, want)
		}
		back, err := DecodePayload(codec.Binary, got)
		if err != nil || !bytes.Equal(back, b) || (back == nil) != (b == nil) {
			t.Errorf("DecodePayload(%s) = %q, %v; want %q", got, back, err, b)
		}
	}
	for _, raw := range []string{`"AAEC"`, `"AA\u0045C"`, `"AA\/C"`, ` "AAEC" `, `null`, `""`, `"AA==AAEC"`,
		"\"AA\nEC\"", "\"AA\rEC\"", `"AAE"`, `"AA!C"`, `"AA"EC"`, `[1,2]`, `12`, `"`, ``, `"AAEC`} {
		var want []byte
		werr := json.Unmarshal([]byte(raw), &want)
		got, err := DecodePayload(codec.Binary, json.RawMessage(raw))
		if (err != nil) != (werr != nil) || !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Errorf("DecodePayload(%q) = %q, %v; json.Unmarshal has %q, %v", raw, got, err, want, werr)
		}
	}
}

// FuzzDecodePayload: whatever the field holds, DecodePayload agrees with
// json.Unmarshal into []byte.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{`"AAEC"`, `"AA\u0045C"`, `null`, "\"AA\nEC\"", `"AA=="`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want []byte
		werr := json.Unmarshal(raw, &want)
		got, err := DecodePayload(codec.Binary, raw)
		if (err != nil) != (werr != nil) || !bytes.Equal(got, want) {
			t.Errorf("DecodePayload(%q) = %q, %v; json.Unmarshal has %q, %v", raw, got, err, want, werr)
		}
	})
}
