package remd

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/burst-dev/burst/internal/atomicfile"
	"github.com/burst-dev/burst/remd/engine"
)

const (
	checkpointVersion = 1
	checkpointFile    = "checkpoint.json"
)

var errNoCheckpoint = errors.New("no checkpoint")

// runState is everything a run needs to continue after its last completed
// round; it is the checkpoint.
type runState struct {
	Version     int         `json:"version"`
	Fingerprint fingerprint `json:"fingerprint"`
	// RunID names this run's states in ObjectStore and Shared storage.
	RunID string `json:"run_id"`
	Done  int    `json:"rounds_done"`
	// Perm[k] is the replica at temperature k, TempOf its inverse, both for
	// the next round. PrevT[r] is the temperature of replica r's last
	// segment (its velocities still belong to it).
	Perm   []int          `json:"perm"`
	TempOf []int          `json:"temp_of"`
	PrevT  []float64      `json:"prev_t"`
	States []engine.State `json:"-"` // Payload storage only
	// Packed is States as written: see packStates.
	Packed packedStates `json:"states,omitempty"`
	// Acceptance counts per neighbour pair (k, k+1).
	Attempts []int `json:"attempts"`
	Accepted []int `json:"accepted"`
	// Round trips: TripPhase[r] is 0 before replica r first reaches the
	// coldest temperature, 1 on its way to the hottest, 2 on its way back.
	TripPhase []int `json:"trip_phase"`
	TripsOf   []int `json:"trips_of"`
	// TripStart[r] is the round replica r last arrived at the coldest
	// temperature; TripRounds sums the lengths of completed trips.
	TripStart  []int `json:"trip_start"`
	TripRounds int   `json:"trip_rounds"`
	// Byte lengths of the output files at this checkpoint; a resumed run
	// cuts them back to these lengths before appending.
	Offsets map[string]int64 `json:"offsets,omitempty"`
	// Sums are the CRC-32C of those first Offsets[name] bytes of each file:
	// a resumed run refuses files changed since (a number edited, rows
	// deleted and others pasted in), which it would otherwise extend as if
	// they were its own. Checkpoints of older versions have none.
	Sums map[string]uint32 `json:"sums,omitempty"`
	// Checksum is checksum() of the checkpoint as written: one edited by
	// hand is refused even where every field is still plausible (a changed
	// acceptance count, another valid permutation).
	Checksum string `json:"checksum,omitempty"`
	edited   bool   // read with a Checksum that does not match

	WallSeconds   float64 `json:"wall_seconds"`
	EngineSeconds float64 `json:"engine_seconds"`
	BusySeconds   float64 `json:"busy_seconds"`
	Calls         int64   `json:"calls"`
	Retries       int64   `json:"retries"`
	// Backups is omitted when 0, so that a checkpoint of a version
	// without it keeps its checksum.
	Backups     int64   `json:"backups,omitempty"`
	OverheadSum float64 `json:"overhead_sum_us"`
	OverheadN   int     `json:"overhead_n"`
}

// packedStates is the checkpoint's "states": base64 of packStates' bytes,
// or, in checkpoints of versions before 4362cec, a JSON array of states,
// which it packs as read, so that -resume continues such a run (it was
// refused as "damaged").
type packedStates []byte

func (p *packedStates) UnmarshalJSON(data []byte) error {
	if d := bytes.TrimSpace(data); len(d) > 0 && d[0] == '[' {
		var states []engine.State
		if err := json.Unmarshal(d, &states); err != nil {
			return err
		}
		*p = packStates(states)
		return nil
	}
	return json.Unmarshal(data, (*[]byte)(p))
}

// packStates encodes states as little-endian float64s (per state: two
// uint32 lengths, then X, then V), which JSON carries as one base64 string:
// exact, and far cheaper to write every round than decimal numbers.
func packStates(states []engine.State) []byte { return appendStates(nil, states) }

// appendStates is packStates appending to b.
func appendStates(b []byte, states []engine.State) []byte {
	n := 0
	for _, st := range states {
		n += 8 + 8*(len(st.X)+len(st.V))
	}
	b = slices.Grow(b, n)
	for _, st := range states {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(st.X)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(st.V)))
		for _, x := range st.X {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		for _, v := range st.V {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
}

func unpackStates(b []byte) ([]engine.State, error) {
	var out []engine.State
	floats := func(n uint32) ([]float64, error) {
		if uint64(len(b)) < 8*uint64(n) {
			return nil, errors.New("states: truncated")
		}
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		b = b[8*n:]
		return xs, nil
	}
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, errors.New("states: truncated")
		}
		nx, nv := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
		b = b[8:]
		var st engine.State
		var err error
		if st.X, err = floats(nx); err != nil {
			return nil, err
		}
		if st.V, err = floats(nv); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// fingerprint is what must not change between a run and its resumption,
// because it changes the numbers.
type fingerprint struct {
	System       string      `json:"system"`
	Engine       engine.Spec `json:"engine"`
	Temperatures []float64   `json:"temperatures"`
	Steps        int         `json:"steps"`
	Exchange     Scheme      `json:"exchange"`
	SwapAttempts int         `json:"swap_attempts"`
	Seed         uint64      `json:"seed"`
	Storage      Storage     `json:"storage"`
	StoreURL     string      `json:"store_url,omitempty"`
}

func fingerprintOf(c *Config) fingerprint {
	return fingerprint{
		System: c.System, Engine: c.Engine, Temperatures: c.Temperatures, Steps: c.Steps,
		Exchange: c.Exchange, SwapAttempts: c.SwapAttempts, Seed: c.Seed, Storage: c.Storage, StoreURL: c.storeURL(),
	}
}

// compatible names every setting that differs from the checkpoint's.
func (f fingerprint) compatible(now fingerprint) error {
	var diffs []string
	a, b := reflect.ValueOf(f), reflect.ValueOf(now)
	for i := range a.NumField() {
		x, _ := json.Marshal(a.Field(i).Interface())
		y, _ := json.Marshal(b.Field(i).Interface())
		if string(x) != string(y) {
			name := strings.Split(a.Type().Field(i).Tag.Get("json"), ",")[0]
			diffs = append(diffs, fmt.Sprintf("%s: checkpoint %s, now %s", name, x, y))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("remd: resume: settings differ from the checkpointed run (use the same flags, or another -out): %s", strings.Join(diffs, "; "))
	}
	return nil
}

// snapshot copies what a checkpoint records, so the round loop can go on
// changing s while the copy is written. States are shared: a state is never
// changed after a segment returned it.
func (s *runState) snapshot() *runState {
	c := *s
	c.Perm = slices.Clone(s.Perm)
	c.TempOf = slices.Clone(s.TempOf)
	c.PrevT = slices.Clone(s.PrevT)
	c.States = slices.Clone(s.States)
	c.Attempts = slices.Clone(s.Attempts)
	c.Accepted = slices.Clone(s.Accepted)
	c.TripPhase = slices.Clone(s.TripPhase)
	c.TripsOf = slices.Clone(s.TripsOf)
	c.TripStart = slices.Clone(s.TripStart)
	return &c
}

// trips advances the round-trip count with the temperature indices the
// replicas ran at this round (perm[k] = replica at temperature k).
func (s *runState) trips(round int, perm []int) {
	n := len(perm)
	if n < 2 {
		return
	}
	coldest, hottest := perm[0], perm[n-1]
	if s.TripPhase[hottest] == 1 {
		s.TripPhase[hottest] = 2
	}
	switch s.TripPhase[coldest] {
	case 2:
		s.TripsOf[coldest]++
		s.TripRounds += round - s.TripStart[coldest]
		fallthrough
	case 0:
		s.TripStart[coldest] = round
	}
	s.TripPhase[coldest] = 1
}

func (s *runState) summary(c *Config, cores int) Summary {
	sum := Summary{
		System: c.System, Engine: c.Engine, Replicas: len(c.Temperatures), Temperatures: c.Temperatures,
		Rounds: s.Done, Steps: c.Steps, Seed: c.Seed, Exchange: c.Exchange,
		Acceptance: make([]float64, len(s.Attempts)), Attempts: s.Attempts, Accepted: s.Accepted,
		RoundTripsPerReplica: s.TripsOf,
		Backend:              c.Backend, Storage: c.Storage, WallSeconds: s.WallSeconds, EngineSeconds: s.EngineSeconds,
		Cores: cores, Calls: s.Calls, Retries: s.Retries, Backups: s.Backups,
	}
	for k := range s.Attempts {
		if s.Attempts[k] > 0 {
			sum.Acceptance[k] = float64(s.Accepted[k]) / float64(s.Attempts[k])
		}
	}
	for _, t := range s.TripsOf {
		sum.RoundTrips += t
	}
	if sum.RoundTrips > 0 {
		sum.MeanRoundTripRounds = float64(s.TripRounds) / float64(sum.RoundTrips)
	}
	if s.WallSeconds > 0 && cores > 0 {
		sum.ParallelEfficiency = s.EngineSeconds / (s.WallSeconds * float64(cores))
		sum.Occupancy = s.BusySeconds / (s.WallSeconds * float64(cores))
	}
	if s.OverheadN > 0 {
		sum.DriverOverheadUS = s.OverheadSum / float64(s.OverheadN)
	}
	return sum
}

// checkpointWriter writes checkpoints, reusing its buffers from one round
// to the next: with payload storage a checkpoint holds every state, and a
// fresh megabyte or two per round kept the garbage collector and the
// runtime's page scavenger busy on the driver's cores.
type checkpointWriter struct {
	packed []byte
	buf    bytes.Buffer
}

func (w *checkpointWriter) save(dir string, s *runState, durable bool) error {
	// Compact, with the states packed: decimal, indented JSON of them cost
	// the driver a fifth of its CPU time.
	if s.States != nil {
		w.packed = appendStates(w.packed[:0], s.States)
		s.Packed = w.packed
	}
	var err error
	if s.Checksum, err = s.checksum(); err != nil {
		return fmt.Errorf("remd: encode checkpoint: %w", err)
	}
	w.buf.Reset()
	if err := json.NewEncoder(&w.buf).Encode(s); err != nil {
		return fmt.Errorf("remd: encode checkpoint: %w", err)
	}
	return writeFileAtomic(dir, checkpointFile, w.buf.Bytes(), durable)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksum is the CRC-32C of s's JSON without its states and checksum,
// followed by its packed states: cheap beside encoding them, and the same
// for a checkpoint read back (JSON of Go values round-trips exactly).
func (s *runState) checksum() (string, error) {
	c := *s
	c.Packed, c.Checksum = nil, ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("crc32c:%08x", crc32.Update(crc32.Checksum(b, castagnoli), castagnoli, s.Packed)), nil
}

func loadCheckpoint(dir string) (*runState, error) {
	b, err := os.ReadFile(filepath.Join(dir, checkpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoCheckpoint
	}
	if err != nil {
		return nil, fmt.Errorf("remd: resume: %w", err)
	}
	return readCheckpoint(b, filepath.Join(dir, checkpointFile))
}

// readCheckpoint decodes the checkpoint b read from path. Its errors name
// path and, for JSON that does not parse, the line.
func readCheckpoint(b []byte, path string) (*runState, error) {
	var s runState
	if err := json.Unmarshal(b, &s); err != nil {
		var off int64 = -1
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			off = syn.Offset
		case errors.As(err, &typ):
			off = typ.Offset
		}
		if off >= 0 {
			line := 1 + bytes.Count(b[:min(int(off), len(b))], []byte("\n"))
			return nil, fmt.Errorf("remd: resume: %s:%d: damaged: %w", path, line, err)
		}
		return nil, fmt.Errorf("remd: resume: %s is damaged: %w", path, err)
	}
	if s.Checksum != "" {
		sum, err := s.checksum()
		s.edited = err != nil || sum != s.Checksum
	}
	if s.Packed != nil {
		var err error
		if s.States, err = unpackStates(s.Packed); err != nil {
			return nil, fmt.Errorf("remd: resume: %s is damaged: %w", path, err)
		}
		s.Packed = nil
	}
	if s.Version != checkpointVersion {
		return nil, fmt.Errorf("remd: resume: %s has version %d, this program reads version %d", path, s.Version, checkpointVersion)
	}
	return &s, nil
}

// check verifies every field of a loaded checkpoint against the run that is
// to continue it (n replicas at cfg's temperatures, states of dim numbers).
// A checkpoint that is valid JSON but was edited by hand or damaged is
// refused with each wrong field named: indexing with it would panic, and a
// perm that is no permutation would run on and write wrong output.
func (s *runState) check(path string, cfg *Config, n, dim int) error {
	var bad []string
	badf := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	length := func(name string, got, want int) bool {
		if got != want {
			unit := "replica"
			if name == "attempts" || name == "accepted" {
				unit = "neighbour pair"
			}
			badf("%s has %d entries, want %d (one per %s)", name, got, want, unit)
			return false
		}
		return true
	}
	if s.RunID == "" || strings.Trim(s.RunID, "0123456789abcdef") != "" {
		badf("run_id %q: want the hex id the run was given", s.RunID)
	}
	if s.Done < 0 {
		badf("rounds_done = %d: want ≥ 0", s.Done)
	}
	if length("perm", len(s.Perm), n) && length("temp_of", len(s.TempOf), n) {
		seen := make([]bool, n)
		for k, rep := range s.Perm {
			switch {
			case rep < 0 || rep >= n:
				badf("perm[%d] = %d: want a replica in 0..%d", k, rep, n-1)
			case seen[rep]:
				badf("perm[%d] = %d: replica %d is at two temperatures (perm must be a permutation of 0..%d)", k, rep, rep, n-1)
			default:
				seen[rep] = true
				if s.TempOf[rep] != k {
					badf("temp_of[%d] = %d but perm[%d] = %d: temp_of must be perm's inverse", rep, s.TempOf[rep], k, rep)
				}
			}
		}
	}
	if length("prev_t", len(s.PrevT), n) {
		for rep, t := range s.PrevT {
			if s.Done == 0 && t != 0 || s.Done > 0 && !slices.Contains(cfg.Temperatures, t) {
				badf("prev_t[%d] = %v: want one of the run's temperatures %v", rep, t, cfg.Temperatures)
			}
		}
	}
	if cfg.Storage == Payload && s.Done > 0 {
		if len(s.States) != n {
			badf("states holds %d replicas, want %d", len(s.States), n)
		} else {
			for rep, st := range s.States {
				if len(st.X) != dim || len(st.V) != dim {
					badf("state of replica %d has %d coordinates and %d velocities, want %d of each", rep, len(st.X), len(st.V), dim)
				}
			}
		}
	} else if len(s.States) > 0 {
		badf("states holds %d replicas, but %s storage keeps them in the store", len(s.States), cfg.Storage)
	}
	pairs := max(n-1, 0)
	if length("attempts", len(s.Attempts), pairs) && length("accepted", len(s.Accepted), pairs) {
		for k := range s.Attempts {
			if s.Attempts[k] < 0 || s.Accepted[k] < 0 || s.Accepted[k] > s.Attempts[k] {
				badf("pair %d: accepted %d of %d attempts: want 0 ≤ accepted ≤ attempts", k, s.Accepted[k], s.Attempts[k])
			}
		}
	}
	if length("trip_phase", len(s.TripPhase), n) && length("trips_of", len(s.TripsOf), n) && length("trip_start", len(s.TripStart), n) {
		for rep := range n {
			if p := s.TripPhase[rep]; p < 0 || p > 2 {
				badf("trip_phase[%d] = %d: want 0, 1 or 2", rep, p)
			}
			if s.TripsOf[rep] < 0 {
				badf("trips_of[%d] = %d: want ≥ 0", rep, s.TripsOf[rep])
			}
			if t := s.TripStart[rep]; t < 0 || t > s.Done {
				badf("trip_start[%d] = %d: want a round in 0..%d", rep, t, s.Done)
			}
		}
	}
	if s.TripRounds < 0 {
		badf("trip_rounds = %d: want ≥ 0", s.TripRounds)
	}
	for name, off := range s.Offsets {
		if off < 0 {
			badf("offsets[%s] = %d: want ≥ 0", name, off)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"wall_seconds", s.WallSeconds}, {"engine_seconds", s.EngineSeconds}, {"busy_seconds", s.BusySeconds}, {"overhead_sum_us", s.OverheadSum}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			badf("%s = %v: want a finite number", f.name, f.v)
		}
	}
	if s.Calls < 0 || s.Retries < 0 || s.Backups < 0 || s.OverheadN < 0 {
		badf("calls %d, retries %d, backups %d, overhead_n %d: want counts ≥ 0", s.Calls, s.Retries, s.Backups, s.OverheadN)
	}
	for name, sum := range s.Sums {
		if err := sameStart(cfg.Out, name, s.Offsets, sum); err != nil {
			badf("%v", err)
		}
	}
	if len(bad) > 8 {
		bad = append(bad[:8], fmt.Sprintf("and %d more", len(bad)-8))
	}
	if s.edited {
		bad = append(bad, "its checksum does not match its content: it was changed after the run wrote it")
	}
	if len(bad) > 0 {
		return fmt.Errorf("remd: resume: %s does not fit this run of %d replicas (edited or damaged? restore it, or start afresh without -resume): %s", path, n, strings.Join(bad, "; "))
	}
	return nil
}

// sameStart checks that output file name in dir still begins with the
// offsets[name] bytes the run wrote before the checkpoint, whose CRC-32C is
// sum. A file shorter than that is reported by reopenOutputs.
func sameStart(dir, name string, offsets map[string]int64, sum uint32) error {
	off, ok := offsets[name]
	if !ok || off < 0 || name != filepath.Base(name) || !slices.Contains(previousRun, name) {
		return fmt.Errorf("sums[%s]: want one for each output file in offsets", name)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil // reopenOutputs says what is missing
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	if n, err := io.CopyN(h, f, off); err != nil || n < off {
		return nil // shorter than recorded: reopenOutputs says so
	}
	if h.Sum32() != sum {
		return fmt.Errorf("%s was changed since the checkpoint: its first %d bytes are not those the run wrote (a value edited, rows deleted or replaced?)", filepath.Join(dir, name), off)
	}
	return nil
}

// writeJSONAtomic replaces dir/name with v, so that a reader (or a run killed
// at any moment) sees either the old file or the new one, never a mix. With
// sync the data and the rename are on disk before it returns, so a machine
// crash cannot leave an empty file or undo the replace either.
func writeJSONAtomic(dir, name string, v any, sync bool) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("remd: encode %s: %w", name, err)
	}
	return writeFileAtomic(dir, name, append(b, '\n'), sync)
}

// writeFileAtomic replaces dir/name with b (see writeJSONAtomic); the error
// says what a full disk leaves (writeError).
func writeFileAtomic(dir, name string, b []byte, sync bool) error {
	path := filepath.Join(dir, name)
	if err := atomicfile.WriteFile(path, b, 0o644, atomicfile.Sync(sync)); err != nil {
		return writeError(path, err)
	}
	return nil
}
