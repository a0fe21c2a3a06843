package remd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/engine"
)

// readDir returns every file of dir by name, with its bytes.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range ents {
		if e.IsDir() || e.Name() == lockFile {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

func runErr(t *testing.T, cfg Config) error {
	t.Helper()
	p, err := pool.Open(context.Background(), "local://")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = Run(context.Background(), p, cfg)
	return err
}

// A fresh run that fails before its first checkpoint (here: a storage URL
// with a typo, a shared server that is down, a cancelled run) leaves the
// previous run's files exactly as they were; one that gets its first
// checkpoint keeps them as #name.1#.
func TestFreshRunKeepsThePreviousRun(t *testing.T) {
	dir := t.TempDir()
	cfg := smallRun()
	cfg.Out = dir
	runTo(t, "local://", cfg)
	before := readDir(t, dir)
	if _, ok := before[checkpointFile]; !ok {
		t.Fatalf("the first run left no checkpoint: %v", before)
	}

	typo := cfg
	typo.Seed = 7
	typo.Storage, typo.StorageURL = ObjectStore, "flie:///tmp/states"
	if err := runErr(t, typo); err == nil {
		t.Fatal("a run with storage URL flie:// succeeded")
	}
	down := cfg
	down.Storage, down.SharedURL = Shared, "redis://127.0.0.1:1/0"
	if err := runErr(t, down); err == nil {
		t.Fatal("a run with a shared store that is down succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ := pool.Open(context.Background(), "local://")
	defer p.Close()
	if _, err := Run(ctx, p, typo); err == nil {
		t.Fatal("a cancelled run succeeded")
	}
	after := readDir(t, dir)
	if len(after) != len(before) {
		t.Errorf("failed runs changed the folder: %d files before, %d after", len(before), len(after))
	}
	for name, b := range before {
		if !bytes.Equal(after[name], b) {
			t.Errorf("a failed run changed the previous run's %s", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, stagingDir)); err == nil {
		t.Errorf("a failed run left %s behind", stagingDir)
	}

	second := cfg
	second.Seed = 8
	runTo(t, "local://", second)
	second.Seed = 9
	runTo(t, "local://", second)
	now := readDir(t, dir)
	for name, b := range before {
		if !bytes.Equal(now[backupName(name, 1)], b) {
			t.Errorf("the first run's %s is not kept as %s", name, backupName(name, 1))
		}
		if _, ok := now[backupName(name, 2)]; !ok {
			t.Errorf("the second run's %s is not kept as %s", name, backupName(name, 2))
		}
		if bytes.Equal(now[name], b) && name != samplesFile {
			t.Errorf("%s still holds the first run's bytes", name)
		}
	}
}

// A second run on the same folder is refused while the first runs, and the
// first goes on undisturbed.
func TestSecondRunOnAFolderIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := smallRun()
	cfg.Out = dir
	finish := runHeldAt(t, cfg, 3)
	second := cfg
	second.Seed = 2
	err := runErr(t, second)
	if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), "choose another -out") || !strings.Contains(err.Error(), "pid") {
		t.Errorf("second run: err = %v, want one saying the folder is in use, by whom", err)
	}
	if err := finish(); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, "the first run beside a refused second", deterministicFiles(t, dir), runTo(t, "local://", smallRun()))
}

// runHeldAt starts cfg and returns once its round is done, the run held
// there until finish, which lets it go on and returns its error.
func runHeldAt(t *testing.T, cfg Config, round int) (finish func() error) {
	reached, release := make(chan struct{}), make(chan struct{})
	cfg.OnRound = func(r RoundResult) {
		if r.Round == round {
			close(reached)
			<-release
		}
	}
	done := make(chan error, 1)
	go func() { done <- runErr(t, cfg) }()
	<-reached
	return func() error {
		close(release)
		return <-done
	}
}

// Two processes continuing one checkpoint of an object-store run (here the
// folder copied) would write the same state keys: the second is refused.
func TestStatesAreLeased(t *testing.T) {
	for _, storage := range []Storage{ObjectStore, Shared} {
		t.Run(string(storage), func(t *testing.T) {
			dir := t.TempDir()
			cfg := smallRun()
			cfg.Out = dir
			if storage == ObjectStore {
				cfg.Storage, cfg.StorageURL = ObjectStore, "file://"+t.TempDir()
			} else {
				cfg.Storage, cfg.SharedURL = Shared, "mem://leasetest"
			}
			ctx, cancel := context.WithCancel(context.Background())
			p, _ := pool.Open(ctx, "local://")
			defer p.Close()
			stopped := cfg
			stopped.OnRound = func(r RoundResult) {
				if r.Round == 5 {
					cancel()
				}
			}
			if _, err := Run(ctx, p, stopped); !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: err = %v", err)
			}
			copyDir := t.TempDir()
			for name, b := range readDir(t, dir) {
				os.WriteFile(filepath.Join(copyDir, name), b, 0o644)
			}

			first := cfg
			first.Resume = true
			finish := runHeldAt(t, first, 8)
			second := cfg
			second.Out, second.Resume = copyDir, true
			err := runErr(t, second)
			if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), "holds them") {
				t.Errorf("second resume of one run: err = %v, want one saying its states are in use", err)
			}
			if err := finish(); err != nil {
				t.Fatal(err)
			}
			// Released at the end: the lease may be taken again.
			var ck struct {
				RunID string `json:"run_id"`
			}
			b, _ := os.ReadFile(filepath.Join(copyDir, checkpointFile))
			json.Unmarshal(b, &ck)
			st, err := openStore(context.Background(), cfg.Storage, cfg.storeURL())
			if err != nil {
				t.Fatal(err)
			}
			l, err := takeLease(context.Background(), st, cfg.storeURL(), ck.RunID)
			if err != nil {
				t.Errorf("lease after the first run finished: %v", err)
			}
			l.release()
		})
	}
}

// editCheckpoint rewrites dir's checkpoint through edit, which sees it as
// JSON fields.
func editCheckpoint(t *testing.T, dir string, edit func(m map[string]json.RawMessage)) {
	t.Helper()
	path := filepath.Join(dir, checkpointFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A checkpoint that is valid JSON but does not fit the run is refused with
// the wrong field named: it used to panic (index out of range) or, for a
// perm that is no permutation, run to exit 0 with wrong output.
func TestHandEditedCheckpointIsRefused(t *testing.T) {
	base := t.TempDir()
	cfg := smallRun() // 5 replicas
	cfg.Rounds = 6
	cfg.Out = base
	runTo(t, "local://", cfg)
	orig := readDir(t, base)
	states := func(n int) json.RawMessage {
		st := make([]engine.State, n)
		for i := range st {
			st[i] = engine.State{X: []float64{0.1, 0, 0}, V: []float64{0.2, 0, 0}}
		}
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString(packStates(st)))
		return b
	}
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name  string
		field string
		v     json.RawMessage
		want  string
	}{
		{"short perm", "perm", raw(`[0,1,2]`), "perm has 3 entries, want 5"},
		{"perm not a permutation", "perm", raw(`[0,0,0,0,0]`), "perm must be a permutation"},
		{"perm out of range", "perm", raw(`[0,1,2,3,9]`), "perm[4] = 9"},
		{"temp_of out of range", "temp_of", raw(`[0,1,2,3,7]`), "temp_of must be perm's inverse"},
		{"temp_of short", "temp_of", raw(`[0]`), "temp_of has 1 entries"},
		{"empty attempts", "attempts", raw(`[]`), "attempts has 0 entries, want 4"},
		{"accepted over attempts", "accepted", raw(`[1000,0,0,0]`), "accepted 1000 of"},
		{"too few states", "states", states(3), "states holds 3 replicas, want 5"},
		{"states of another size", "states", states(5), "3 coordinates and 3 velocities, want 1"},
		{"garbled states", "states", raw(`"AAAA"`), "is damaged"},
		{"prev_t off the ladder", "prev_t", raw(`[0.3,0.6,1.2,2.4,5]`), "prev_t[4] = 5"},
		{"negative rounds", "rounds_done", raw(`-3`), "rounds_done = -3"},
		{"trip phase", "trip_phase", raw(`[0,0,0,0,9]`), "trip_phase[4] = 9"},
		{"trip start", "trip_start", raw(`[0,0,0,0,99]`), "trip_start[4] = 99"},
		{"no run id", "run_id", raw(`""`), "run_id"},
		{"bad offsets", "offsets", raw(`{"energies.csv":-5}`), "offsets[energies.csv] = -5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, b := range orig {
				os.WriteFile(filepath.Join(dir, name), b, 0o644)
			}
			editCheckpoint(t, dir, func(m map[string]json.RawMessage) { m[c.field] = c.v })
			edited, _ := os.ReadFile(filepath.Join(dir, checkpointFile))
			resumed := cfg
			resumed.Out, resumed.Resume, resumed.Rounds = dir, true, 10
			err := runErr(t, resumed)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), checkpointFile) {
				t.Errorf("err = %v, want one naming %s and %q", err, checkpointFile, c.want)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, checkpointFile)); !bytes.Equal(b, edited) {
				t.Error("a refused resume changed the checkpoint")
			}
			if b, _ := os.ReadFile(filepath.Join(dir, energiesFile)); !bytes.Equal(b, orig[energiesFile]) {
				t.Error("a refused resume changed energies.csv")
			}
		})
	}
}

// A run whose memory estimate exceeds the limit is refused with the estimate
// before it touches the folder.
func TestMemoryEstimateRefusesUpFront(t *testing.T) {
	dir := t.TempDir()
	cfg := smallRun()
	cfg.Out = dir
	runTo(t, "local://", cfg)
	before := readDir(t, dir)

	big := cfg
	big.Engine = engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":99999999999}`)}
	err := runErr(t, big)
	if err == nil || !strings.Contains(err.Error(), "TiB of memory") || !strings.Contains(err.Error(), "available") {
		t.Errorf("lj99999999999: err = %v, want the estimate in TiB against the available memory", err)
	}
	many := cfg
	many.MemoryLimit = 1 << 30
	many.Temperatures = make([]float64, 100_000)
	for i := range many.Temperatures {
		many.Temperatures[i] = 1 + float64(i)
	}
	err = runErr(t, many)
	if err == nil || !strings.Contains(err.Error(), "100000 replicas") || !strings.Contains(err.Error(), "1.0 GiB the memory limit set") {
		t.Errorf("100000 replicas under a 1 GiB limit: err = %v, want the estimate against the limit", err)
	}
	after := readDir(t, dir)
	for name, b := range before {
		if !bytes.Equal(after[name], b) {
			t.Errorf("a refused run changed %s", name)
		}
	}
	if len(after) != len(before) {
		t.Errorf("a refused run added files: %d before, %d after", len(before), len(after))
	}
}
