package remd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/remd/engine"
)

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// A state's binary form keeps every bit, and JSON states of earlier
// versions still read; anything else is refused with what was wrong.
func TestStateFormat(t *testing.T) {
	st := engine.State{
		X: engine.Floats{0, math.Copysign(0, -1), 1.5, math.Inf(-1), math.Float64frombits(0x7ff8000000000123), math.SmallestNonzeroFloat64},
		V: engine.Floats{-2.25, math.MaxFloat64},
	}
	b := encodeState(st)
	got, err := decodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(got.X, st.X) || !sameBits(got.V, st.V) {
		t.Errorf("round trip: got %v, want %v", got, st)
	}
	old, err := codec.JSON.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) >= len(old) {
		t.Errorf("binary form %d bytes, JSON %d: want smaller", len(b), len(old))
	}
	got, err = decodeState(old)
	if err != nil || !sameBits(got.X, st.X) || !sameBits(got.V, st.V) {
		t.Errorf("JSON state of an earlier version: got %v, %v; want %v", got, err, st)
	}
	empty, err := decodeState(encodeState(engine.State{}))
	if err != nil || len(empty.X) != 0 || len(empty.V) != 0 {
		t.Errorf("empty state: got %v, %v", empty, err)
	}
	for _, bad := range [][]byte{nil, []byte("x"), b[:len(b)-1], append(slices.Clone(b), 0), b[:len(stateMagic)+8],
		append([]byte(stateMagic), bytes.Repeat([]byte{0xff}, 16)...)} {
		if _, err := decodeState(bad); err == nil {
			t.Errorf("decodeState(%.40q) = nil error, want one", bad)
		}
	}
}

// States written by 82a1f50..bd0e310 (the same header, 64-bit counts) still
// read: a run those versions checkpointed stopped at its first segment with
// "states: truncated" on -resume.
func TestStateFormat64(t *testing.T) {
	for _, st := range []engine.State{
		{X: engine.Floats{1, -2, 3.5}, V: engine.Floats{0.25, math.Inf(1), -0.5}},
		{X: engine.Floats{1, 2}},
		{},
	} {
		b := []byte(stateMagic) // as 82a1f50's encodeState wrote it
		b = binary.LittleEndian.AppendUint64(b, uint64(len(st.X)))
		b = binary.LittleEndian.AppendUint64(b, uint64(len(st.V)))
		for _, xs := range [][]float64{st.X, st.V} {
			for _, x := range xs {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
			}
		}
		got, err := decodeState(b)
		if err != nil || !sameBits(got.X, st.X) || !sameBits(got.V, st.V) {
			t.Errorf("state of 64-bit counts: got %v, %v; want %v", got, err, st)
		}
	}
}

// A run interrupted by an earlier version, which kept its states as JSON,
// resumes to the same bytes and leaves only its final states, in this
// version's form.
func TestResumeFromJSONStates(t *testing.T) {
	cfg := smallRun()
	states := t.TempDir()
	cfg.Storage, cfg.StorageURL = ObjectStore, "file://"+t.TempDir()
	want := runTo(t, "local://", cfg)
	cfg.StorageURL = "file://" + states
	fsys, err := cloudfs.Open(context.Background(), cfg.StorageURL)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()

	dir := runStoppedAfter(t, cfg, 11)
	// What an earlier version would have left.
	var converted int
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fsys.ReadFile(name)
		if err != nil {
			return err
		}
		st, err := decodeState(b)
		if err != nil {
			return err
		}
		js, err := codec.JSON.Marshal(st)
		if err != nil {
			return err
		}
		converted++
		return fsys.WriteFile(name, js)
	})
	if err != nil {
		t.Fatal(err)
	}
	if converted == 0 {
		t.Fatal("the interrupted run left no states")
	}

	resumed := cfg
	resumed.Out, resumed.Resume = dir, true
	sameFiles(t, "resumed from JSON states vs uninterrupted", runTo(t, "local://", resumed), want)
	var left []string
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		left = append(left, name)
		b, err := fsys.ReadFile(name)
		if err != nil {
			return err
		}
		if !strings.Contains(name, "/r000024/replica-") || !bytes.HasPrefix(b, []byte(stateMagic)) {
			t.Errorf("left %s (%.20q…): want only this version's states after the last round (r000024)", name, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != len(cfg.Temperatures) {
		t.Errorf("left %d objects, want %d: %v", len(left), len(cfg.Temperatures), left)
	}
}

// A state missing from the store (a restarted in-memory S3, another
// -storage-url) is reported with its likely causes, as shared storage does;
// it was "load state: read ...: file does not exist".
func TestMissingStateSaysWhy(t *testing.T) {
	fsys, err := cloudfs.Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	_, err = objectStore{fs: fsys}.load(context.Background(), "remd/0123/r000001/replica-0000.json")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "-storage-url") || !strings.Contains(err.Error(), "replica-0000.json: not in the store") {
		t.Errorf("err = %v, want one naming the key, saying it is not in the store and why that may be", err)
	}
}
