package remd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/engine"
)

// deterministicFiles reads the outputs that must be byte-identical between
// runs with one seed: every CSV except timing.csv, and summary.json without
// its timing fields.
func deterministicFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range []string{energiesFile, samplesFile, exchangesFile, walksFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) && name == samplesFile {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range TimingFields {
		if _, ok := m[f]; !ok {
			t.Errorf("summary.json has no timing field %q", f)
		}
		delete(m, f)
	}
	files["summary.json"], _ = json.MarshalIndent(m, "", "  ")
	return files
}

func sameFiles(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d files vs %d", what, len(a), len(b))
	}
	for name, x := range a {
		y := b[name]
		if !bytes.Equal(x, y) {
			i := 0
			for i < len(x) && i < len(y) && x[i] == y[i] {
				i++
			}
			lo := max(0, i-80)
			t.Errorf("%s: %s differs at byte %d:\n  %q\nvs\n  %q", what, name, i, x[lo:min(len(x), i+80)], y[lo:min(len(y), i+80)])
		}
	}
}

func runTo(t *testing.T, poolURL string, cfg Config) map[string][]byte {
	t.Helper()
	if cfg.Out == "" {
		cfg.Out = t.TempDir()
	}
	if _, err := runOn(t, poolURL, cfg); err != nil {
		t.Fatalf("Run on %s with %s storage: %v", poolURL, cfg.Storage, err)
	}
	return deterministicFiles(t, cfg.Out)
}

func smallRun() Config {
	return Config{
		Engine:       engine.Spec{Name: "doublewell"},
		Temperatures: []float64{0.3, 0.6, 1.2, 2.4, 4.8},
		Rounds:       25, Steps: 40, Seed: 42,
	}
}

func TestIdenticalOnEveryBackend(t *testing.T) {
	for _, scheme := range []Scheme{Neighbors, SwapAll} {
		t.Run(string(scheme), func(t *testing.T) {
			cfg := smallRun()
			cfg.Exchange = scheme
			want := runTo(t, "local://", cfg)
			sameFiles(t, "process://?workers=2 vs local://", runTo(t, "process://?workers=2", cfg), want)
			sameFiles(t, "local://?encode=1 vs local://", runTo(t, "local://?encode=1", cfg), want)
			sameFiles(t, "process:// with gob vs local://", runTo(t, "process://?workers=2&codec=gob", cfg), want)
		})
	}
}

func TestIdenticalInEveryStorage(t *testing.T) {
	want := runTo(t, "local://", smallRun())
	cases := []struct {
		pool string
		edit func(*Config)
	}{
		{"local://", func(c *Config) {
			c.Storage, c.StorageURL = ObjectStore, "file://"+t.TempDir()
		}},
		{"process://?workers=2", func(c *Config) {
			c.Storage, c.StorageURL = ObjectStore, "file://"+t.TempDir()
		}},
	}
	for _, c := range cases {
		cfg := smallRun()
		c.edit(&cfg)
		sameFiles(t, string(cfg.Storage)+" on "+c.pool+" vs payload", runTo(t, c.pool, cfg), want)
	}
}

// A run interrupted after a checkpoint, with half-written rows of the next
// round in its files, resumes to the same bytes as an uninterrupted run.
func TestResumeIsIdentical(t *testing.T) {
	for _, storage := range []Storage{Payload, ObjectStore} {
		t.Run(string(storage), func(t *testing.T) {
			cfg := smallRun()
			if storage == ObjectStore {
				cfg.Storage, cfg.StorageURL = ObjectStore, "file://"+t.TempDir()
			}
			want := runTo(t, "local://", cfg)

			dir := runStoppedAfter(t, cfg, 11)
			if _, err := os.Stat(filepath.Join(dir, "summary.json")); err == nil {
				t.Fatal("an interrupted run wrote summary.json")
			}
			// Rows of a round that died half-way.
			f, _ := os.OpenFile(filepath.Join(dir, energiesFile), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("12,0,0.3,3,-0.5\n12,1,0.")
			f.Close()

			resumed := cfg
			resumed.Out, resumed.Resume = dir, true
			sameFiles(t, "resumed vs uninterrupted", runTo(t, "local://", resumed), want)
		})
	}
}

// runStoppedAfter runs cfg on local:// into a new folder and cancels the run
// once round r is checkpointed, as a ^C would; it returns the folder.
func runStoppedAfter(t *testing.T, cfg Config, r int) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := pool.Open(ctx, "local://")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cfg.Out = t.TempDir()
	cfg.OnRound = func(rr RoundResult) {
		if rr.Round == r {
			cancel()
		}
	}
	if _, err := Run(ctx, p, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	return cfg.Out
}

func TestResumeRefusesOtherSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := smallRun()
	cfg.Out = dir
	runTo(t, "local://", cfg)
	cfg.Resume = true
	cfg.Seed = 43
	p, _ := pool.Open(context.Background(), "local://")
	defer p.Close()
	_, err := Run(context.Background(), p, cfg)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("seed: checkpoint 42, now 43")) {
		t.Errorf("resume with another seed: err = %v, want one naming the seed", err)
	}
}

// Every segment continues from its replica's own last coordinates and
// velocities: with gamma = 0 (no noise) and one replica, R rounds of n steps
// are one trajectory of R·n steps, bit for bit. A run that restarted
// segments from the initial structure would end where one segment ends.
func TestRoundsContinueOneTrajectory(t *testing.T) {
	spec := engine.Spec{Name: "lj13", Options: json.RawMessage(`{"gamma":0,"dt":0.002}`)}
	const rounds, steps, temp, seed = 12, 50, 0.2, 9
	p, _ := pool.Open(context.Background(), "process://?workers=2")
	defer p.Close()
	res, err := Run(context.Background(), p, Config{Engine: spec, Temperatures: []float64{temp}, Rounds: rounds, Steps: steps, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.Initial(initialRNG(seed, 0), temp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Segment(context.Background(), &want, temp, rounds*steps, rand.New(rand.NewPCG(0, 0))); err != nil {
		t.Fatal(err)
	}
	got := res.Final[0]
	for i := range want.X {
		if got.X[i] != want.X[i] || got.V[i] != want.V[i] {
			t.Fatalf("coordinate %d after %d rounds of %d steps: x=%v v=%v; one run of %d steps: x=%v v=%v",
				i, rounds, steps, got.X[i], got.V[i], rounds*steps, want.X[i], want.V[i])
		}
	}
}

// Object-store runs keep only what a resume can need: after the last round,
// the final state of each replica.
func TestObjectStoreKeepsOnlyFinalStates(t *testing.T) {
	states := t.TempDir()
	cfg := smallRun()
	cfg.Storage, cfg.StorageURL = ObjectStore, "file://"+states
	runTo(t, "local://", cfg)
	fsys, err := cloudfs.Open(context.Background(), cfg.StorageURL)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	var got []string
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			got = append(got, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cfg.Temperatures) {
		t.Fatalf("object store holds %d objects, want %d (one final state per replica): %v", len(got), len(cfg.Temperatures), got)
	}
	for _, k := range got {
		if !strings.Contains(k, "/r000024/replica-") {
			t.Errorf("object %s: want only states after the last round (r000024)", k)
		}
	}
}
