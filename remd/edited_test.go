package remd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/burst-dev/burst/remd/engine"
)

// copyRun copies the files of a finished run into a new folder.
func copyRun(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// An output file or a checkpoint edited by hand in a way every field check
// lets through is refused by -resume, with the file named, and nothing is
// changed: the run used to extend the edited file as if it were its own.
func TestResumeRefusesPlausibleEdits(t *testing.T) {
	cfg := smallRun()
	cfg.Rounds = 6
	cfg.Out = t.TempDir()
	runTo(t, "local://", cfg)
	orig := readDir(t, cfg.Out)
	var ck runState
	if err := json.Unmarshal(orig[checkpointFile], &ck); err != nil {
		t.Fatal(err)
	}
	if ck.Checksum == "" || len(ck.Sums) != len(ck.Offsets) {
		t.Fatalf("checkpoint has checksum %q and %d sums for %d files", ck.Checksum, len(ck.Sums), len(ck.Offsets))
	}
	rows := func(name string) []string { return strings.SplitAfter(string(orig[name]), "\n") }

	cases := []struct {
		name, file, want string
		edit             func(b []byte) []byte
	}{
		{"a digit of energies.csv", energiesFile, energiesFile + " was changed since the checkpoint", func(b []byte) []byte {
			r := rows(energiesFile)
			i := len(r[0]) + len(r[1]) + len(r[2]) - 2 // the last digit of the second row
			b = bytes.Clone(b)
			b[i] = '0' + (b[i]-'0'+1)%10
			return b
		}},
		{"two rows of walks.csv swapped", walksFile, walksFile + " was changed since the checkpoint", func([]byte) []byte {
			r := rows(walksFile)
			r[1], r[7] = r[7], r[1]
			return []byte(strings.Join(r, ""))
		}},
		{"a row of exchanges.csv deleted", exchangesFile, exchangesFile, func([]byte) []byte {
			r := rows(exchangesFile)
			return []byte(strings.Join(append(r[:2:2], r[3:]...), ""))
		}},
		{"another valid permutation", checkpointFile, "checksum does not match", func([]byte) []byte {
			e := ck
			e.Perm, e.TempOf = slices.Clone(ck.Perm), slices.Clone(ck.TempOf)
			e.Perm[0], e.Perm[1] = e.Perm[1], e.Perm[0]
			for k, rep := range e.Perm {
				e.TempOf[rep] = k
			}
			b, _ := json.Marshal(&e)
			return b
		}},
		{"one more acceptance", checkpointFile, "checksum does not match", func([]byte) []byte {
			var m map[string]json.RawMessage
			json.Unmarshal(orig[checkpointFile], &m)
			acc := make([]int, len(ck.Accepted))
			copy(acc, ck.Attempts) // every attempt accepted: still ≤ attempts
			m["accepted"], _ = json.Marshal(acc)
			b, _ := json.Marshal(m)
			return b
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyRun(t, orig)
			edited := c.edit(orig[c.file])
			if bytes.Equal(edited, orig[c.file]) {
				t.Fatal("the edit changed nothing")
			}
			os.WriteFile(filepath.Join(dir, c.file), edited, 0o644)
			resumed := cfg
			resumed.Out, resumed.Resume, resumed.Rounds = dir, true, 10
			err := runErr(t, resumed)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("resume after %s: err = %v, want one naming %q", c.name, err, c.want)
			}
			after := readDir(t, dir)
			for name, b := range orig {
				if name == c.file {
					b = edited
				}
				if !bytes.Equal(after[name], b) {
					t.Errorf("the refused resume changed %s", name)
				}
			}
		})
	}
}

// A checkpoint of an older version, without checksum and sums, still
// resumes to the same bytes; and temporary files a run killed mid-write
// left behind are removed by the next one.
func TestResumeWithoutSumsAndAfterLeftovers(t *testing.T) {
	cfg := smallRun()
	want := runTo(t, "local://", cfg)
	dir := runStoppedAfter(t, cfg, 11)
	editCheckpoint(t, dir, func(m map[string]json.RawMessage) {
		delete(m, "checksum")
		delete(m, "sums")
	})
	for _, name := range []string{checkpointFile + ".tmp123", SummaryFile + ".tmp45"} {
		os.WriteFile(filepath.Join(dir, name), []byte(`{"half":`), 0o600)
	}
	resumed := cfg
	resumed.Out, resumed.Resume = dir, true
	sameFiles(t, "resumed from an older checkpoint vs uninterrupted", runTo(t, "local://", resumed), want)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("%s is still there after the resume", e.Name())
		}
	}
	var ck runState
	b, _ := os.ReadFile(filepath.Join(dir, checkpointFile))
	json.Unmarshal(b, &ck)
	if ck.Checksum == "" || len(ck.Sums) == 0 {
		t.Error("the resumed run's checkpoint has no checksum or sums")
	}
}

// A checkpoint of a version before 4362cec holds its states as a JSON array
// of states, not packed: it reads to the same states (it was refused as
// "damaged", so such a run could not be resumed).
func TestCheckpointWithJSONStates(t *testing.T) {
	states := []engine.State{
		{X: engine.Floats{1.5, -2, 0.1}, V: engine.Floats{3, 0, -0.25}},
		{X: engine.Floats{4, 5e-300, 6}, V: engine.Floats{7, 8, 9}},
	}
	s := runState{Version: checkpointVersion, RunID: "0123abcd", Done: 3, Perm: []int{1, 0}, TempOf: []int{1, 0},
		Packed: packStates(states)}
	packed, err := json.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readCheckpoint(packed, "checkpoint.json"); err != nil {
		t.Fatalf("packed checkpoint: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(packed, &m); err != nil {
		t.Fatal(err)
	}
	old, _ := json.Marshal([]map[string][]float64{{"x": states[0].X, "v": states[0].V}, {"x": states[1].X, "v": states[1].V}})
	m["states"] = old
	b, _ := json.Marshal(m)
	got, err := readCheckpoint(b, "checkpoint.json")
	if err != nil {
		t.Fatalf("checkpoint with JSON states: %v", err)
	}
	if len(got.States) != len(states) {
		t.Fatalf("read %d states, want %d", len(got.States), len(states))
	}
	for i := range states {
		if !sameBits(got.States[i].X, states[i].X) || !sameBits(got.States[i].V, states[i].V) {
			t.Errorf("state %d: got %v, want %v", i, got.States[i], states[i])
		}
	}
}
