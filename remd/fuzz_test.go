package remd

import (
	"context"

	"encoding/json"
	"github.com/burst-dev/burst/pool"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
