package remd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/engine"
)

// ErrDamagedState is what every refusal of a state read from ObjectStore
// or Shared storage is (errors.Is): its bytes are not the state the run
// stored under that key. It was changed after it was written (a bad disk,
// a hand edit), cut short, another key's state was copied over it, or it is
// no state at all. Continuing from it would go on from wrong coordinates
// without a word.
var ErrDamagedState = errors.New("remd: stored state damaged")

// DamagedStateError is such a refusal: errors.As finds it, and with it the
// key of the state (which names its run, round and replica: see stateKey).
// It crosses pool backends as itself, so the driver finds it whichever
// worker read the state.
type DamagedStateError struct {
	Key    string // where the state is stored
	Reason string // what is wrong with its bytes
}

func (e *DamagedStateError) Error() string { return ErrDamagedState.Error() + ": " + e.Reason }

// Is makes every DamagedStateError an ErrDamagedState.
func (e *DamagedStateError) Is(target error) bool { return target == ErrDamagedState }

func init() { pool.RegisterErrorType[*DamagedStateError]() }

// stateMagic starts every state this version stores: its format and
// version. States of earlier versions start with stateMagicV1, or are JSON
// (objectstore) or codec.Binary (shared) encodings of engine.State; they
// still read, unchecked, so that -resume continues a run those versions
// checkpointed.
const (
	stateMagic   = "burst remd state v2\n"
	stateMagicV1 = "burst remd state v1\n"
)

// maxStateKey bounds a key in a state's header (its length is 16 bits).
const maxStateKey = math.MaxUint16

// The stored form of a state (v2), all integers little-endian:
//
//	stateMagic
//	uint16 key length, then the key the state is stored under
//	uint32 count of X, uint32 count of V (the checkpoint's packed form,
//	       appendStates), then the IEEE 754 bits of X and V as uint64
//	uint32 CRC-32C (Castagnoli) of every byte before it
//
// The checksum catches a state changed in the store; the key, which it
// covers, catches a valid state under another key (another replica's or
// round's copied over it), which would pass any checksum of its own. The
// key costs some 50 bytes of a state's thousands, and the checksum about
// 1 µs for the WW domain's 26 KiB, a third of what encoding it takes and
// nothing beside a call (BenchmarkStateChecksum). Binary rather than
// JSON of base64: a quarter fewer bytes to hash, sign, send and store, and
// no text to scan on either side.
func encodeState(key string, st engine.State) ([]byte, error) {
	if len(key) > maxStateKey {
		return nil, fmt.Errorf("state key of %d bytes: want at most %d", len(key), maxStateKey)
	}
	n := len(stateMagic) + 2 + len(key) + 8 + 8*(len(st.X)+len(st.V)) + 4
	b := make([]byte, 0, n)
	b = append(b, stateMagic...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(key)))
	b = append(b, key...)
	b = appendStates(b, []engine.State{st})
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

// decodeState reads the state stored under key: encodeState's form,
// checked, or one of the unchecked forms of earlier versions. Every refusal
// is a *DamagedStateError that says what was wrong.
func decodeState(key string, b []byte) (engine.State, error) {
	st, err := decodeAnyState(key, b)
	if err != nil {
		return engine.State{}, &DamagedStateError{Key: key, Reason: err.Error()}
	}
	return st, nil
}

func decodeAnyState(key string, b []byte) (engine.State, error) {
	var st engine.State
	switch {
	case bytes.HasPrefix(b, []byte(stateMagic)):
		return decodeStateV2(key, b)
	case bytes.HasPrefix(b, []byte(stateMagicV1)):
		return decodeStateV1(b[len(stateMagicV1):])
	case len(b) > 0 && b[0] == '{':
		// Objectstore states before the binary form.
		err := codec.JSON.Unmarshal(b, &st)
		return st, err
	case len(b) > 0 && b[0] == 1:
		// Shared states before this form: the map's codec.Binary encoding
		// of engine.State, whose first byte is the codec's version, 1.
		err := codec.Binary.Unmarshal(b, &st)
		return st, err
	}
	return st, fmt.Errorf("not a state: want %q, have %q", stateMagic, b[:min(len(b), len(stateMagic))])
}

func decodeStateV2(key string, b []byte) (engine.State, error) {
	var st engine.State
	head := len(stateMagic) + 2
	if len(b) < head {
		return st, fmt.Errorf("%d bytes: cut short (a state is at least %d)", len(b), head+8+4)
	}
	kl := int(binary.LittleEndian.Uint16(b[len(stateMagic):]))
	head += kl + 8
	if len(b) < head+4 {
		return st, fmt.Errorf("%d bytes: cut short (its header says at least %d)", len(b), head+4)
	}
	nx, nv := binary.LittleEndian.Uint32(b[head-8:]), binary.LittleEndian.Uint32(b[head-4:])
	// In 64 bits: hostile counts neither wrap nor allocate.
	if want := uint64(head) + 8*(uint64(nx)+uint64(nv)) + 4; uint64(len(b)) != want {
		return st, fmt.Errorf("%d bytes, where its header says %d (for %d coordinates and %d velocities): cut short or damaged", len(b), want, nx, nv)
	}
	body := len(b) - 4
	if sum, stored := crc32.Checksum(b[:body], castagnoli), binary.LittleEndian.Uint32(b[body:]); sum != stored {
		return st, fmt.Errorf("its %d bytes sum to crc32c:%08x, not to the crc32c:%08x stored with them: changed since it was written", len(b), sum, stored)
	}
	if stored := string(b[len(stateMagic)+2 : len(stateMagic)+2+kl]); stored != key {
		return st, fmt.Errorf("it is the state stored under %q, not under %q: copied or renamed there", stored, key)
	}
	vals := make([]float64, uint64(nx)+uint64(nv))
	for i, p := 0, b[head:body]; i < len(vals); i++ {
		vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[8*i:]))
	}
	return engine.State{X: vals[:nx:nx], V: vals[nx:]}, nil
}

// decodeStateV1 reads what follows stateMagicV1: one state in the packed
// form, or in that of 82a1f50..bd0e310 (64-bit counts), whose states a
// resumed run of those versions reads.
func decodeStateV1(b []byte) (engine.State, error) {
	states, err := unpackStates(b)
	if err == nil && len(states) == 1 {
		return states[0], nil
	}
	if st, ok := decodeState64(b); ok {
		return st, nil
	}
	if err != nil {
		return engine.State{}, err
	}
	return engine.State{}, fmt.Errorf("%d states in one object: want 1", len(states))
}

// decodeState64 reads the first binary form of a state after its header:
// the counts of coordinates and of velocities as uint64, then their IEEE
// 754 bits, all little-endian; ok only when the lengths add up exactly.
func decodeState64(b []byte) (st engine.State, ok bool) {
	if len(b) < 16 {
		return st, false
	}
	nx, nv := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	b = b[16:]
	if nx > uint64(len(b))/8 || nv > uint64(len(b))/8 || 8*(nx+nv) != uint64(len(b)) {
		return st, false
	}
	vals := make([]float64, nx+nv)
	for i := range vals {
		vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return engine.State{X: vals[:nx:nx], V: vals[nx:]}, true
}

// loadState reads the state under key with read and decodes it. A state
// that reads damaged is read once more before it is refused: damage on the
// way (a proxy, a server's read path) does not outlast a second read, damage
// in the store does.
func loadState(key string, read func() ([]byte, error)) (engine.State, error) {
	b, err := read()
	if err != nil {
		return engine.State{}, err
	}
	st, err := decodeState(key, b)
	if err == nil {
		return st, nil
	}
	again, rerr := read()
	if rerr != nil {
		return engine.State{}, fmt.Errorf("load state %s: %w (and reading it again failed: %v)", key, err, rerr)
	}
	if st, err2 := decodeState(key, again); err2 == nil {
		return st, nil
	}
	if !bytes.Equal(b, again) {
		return engine.State{}, fmt.Errorf("load state %s: %w (read twice, damaged differently each time)", key, err)
	}
	return engine.State{}, fmt.Errorf("load state %s: %w (read twice, the same bytes both times: the damage is in the store)", key, err)
}
