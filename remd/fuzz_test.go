package remd

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/engine"
)

// A checkpoint of any content is refused with an error naming it, or fits
// the run: it never panics, in reading or in checking.
func FuzzCheckpoint(f *testing.F) {
	cfg := smallRun() // 5 replicas of the double well, 1 coordinate
	cfg.Out = f.TempDir()
	p, _ := openTestPool()
	if _, err := Run(f.Context(), p, cfg); err != nil {
		f.Fatal(err)
	}
	p.Close()
	real, err := os.ReadFile(filepath.Join(cfg.Out, checkpointFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	var m map[string]json.RawMessage
	json.Unmarshal(real, &m)
	m["perm"] = json.RawMessage(`[0,0,0,0,0]`)
	edited, _ := json.Marshal(m)
	f.Add(edited)
	f.Add([]byte(`{"version":1,"states":"AAAAAP////8="}`))
	f.Add([]byte("{\n\"version\":1,\n\"perm\":[1,2,\n"))
	if _, err := cfg.normalize(); err != nil {
		f.Fatal(err)
	}
	const path = "out/checkpoint.json"
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := readCheckpoint(data, path)
		if err == nil {
			err = s.check(path, &cfg, len(cfg.Temperatures), 1)
		}
		if err != nil && !strings.Contains(err.Error(), path) {
			t.Fatalf("error %q does not name the checkpoint", err)
		}
		if err == nil {
			// What check lets through is safe to index with.
			for k, rep := range s.Perm {
				_ = s.TempOf[rep] + k
				_ = s.PrevT[rep] + float64(len(s.States[rep].X))
			}
		}
	})
}

func openTestPool() (*pool.Pool, error) { return pool.Open(context.Background(), "local://") }

// A stored state of any bytes, under any key, is refused with a
// *DamagedStateError naming that key, or read: it never panics, and never
// allocates more than its bytes can hold, whatever counts its header
// claims. A state of this version's form that reads is the one encodeState
// writes for that key, byte for byte.
func FuzzDecodeState(f *testing.F) {
	key := stateKey("0123abcd", 11, 2)
	v2, err := encodeState(key, testState)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(key, v2)
	f.Add(key, v2[:len(v2)-5])
	f.Add("another", v2)
	f.Add(key, appendStates([]byte(stateMagicV1), []engine.State{testState}))
	bin, _ := codec.Binary.Marshal(&testState)
	f.Add(key, bin)
	js, _ := codec.JSON.Marshal(testState)
	f.Add(key, js)
	f.Add(key, []byte(`{"x":[1,2,3],"v":"AAAAAAAA8D8="}`))
	// Headers that claim far more numbers than follow.
	hostile := func(prefix string, counts ...any) []byte {
		b := []byte(prefix)
		for _, c := range counts {
			b, _ = binary.Append(b, binary.LittleEndian, c)
		}
		return append(b, make([]byte, 16)...)
	}
	f.Add(key, hostile(stateMagic, uint16(0), uint32(math.MaxUint32), uint32(math.MaxUint32)))
	f.Add(key, hostile(stateMagic, uint16(math.MaxUint16)))
	f.Add(key, hostile(stateMagicV1, uint32(1<<28), uint32(1<<28)))
	f.Add(key, hostile(stateMagicV1, uint64(1<<60), uint64(1<<60)))
	f.Add(key, []byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, key string, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		st, err := decodeState(key, b)
		runtime.ReadMemStats(&after)
		// Generous: the JSON forms take a few times their bytes; a
		// hostile count would take gigabytes.
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(64*len(b)+64<<20); got > limit {
			t.Fatalf("decoding %d bytes allocated %d, want at most %d", len(b), got, limit)
		}
		var damaged *DamagedStateError
		switch {
		case err != nil:
			if !errors.As(err, &damaged) || !errors.Is(err, ErrDamagedState) || damaged.Key != key {
				t.Fatalf("err = %#v, want a *DamagedStateError for key %q", err, key)
			}
		case bytes.HasPrefix(b, []byte(stateMagic)):
			again, err := encodeState(key, st)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("read %d bytes of this version's form as %v; encoding it again gives %d other bytes (%v)", len(b), st, len(again), err)
			}
		}
	})
}
