package remd

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	_ "github.com/burst-dev/burst/cloudfs/s3upload" // S3's DeleteObjects, as examples/study links it
	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/shared/redis"
)

// storedStates lists the state keys cfg's store holds.
func storedStates(t *testing.T, cfg Config) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	switch cfg.Storage {
	case ObjectStore:
		fsys, err := cloudfs.Open(ctx, cfg.StorageURL)
		if err != nil {
			t.Fatal(err)
		}
		defer fsys.Close()
		err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(name, "/replica-") {
				keys = append(keys, name)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	case Shared:
		st, err := openStore(ctx, Shared, cfg.SharedURL)
		if err != nil {
			t.Fatal(err)
		}
		err = st.(sharedStore).m.Range(ctx, func(k string, _ []byte) bool {
			keys = append(keys, k)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(keys)
	return keys
}

// onlyFinalStates checks that the store holds what a resume of the finished
// run in dir needs, and nothing else: each replica's state after the last
// round.
func onlyFinalStates(t *testing.T, cfg Config, dir string) {
	t.Helper()
	ck, err := loadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rep := range cfg.Temperatures {
		want = append(want, stateKey(ck.RunID, cfg.Rounds-1, rep))
	}
	if got := storedStates(t, cfg); !slices.Equal(got, want) {
		t.Errorf("%s store holds %d states %v,\nwant each replica's after the last round: %v", cfg.Storage, len(got), got, want)
	}
}

// s3Requests counts the requests on states a test's S3 server received.
type s3Requests struct {
	mu            sync.Mutex
	single, batch int // DELETE of one state, DeleteObjects
	gets          int // GET of a state
}

// take returns the counts since the last take.
func (c *s3Requests) take() (single, batch, gets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	single, batch, gets = c.single, c.batch, c.gets
	c.single, c.batch, c.gets = 0, 0, 0
	return
}

// s3Storage points cfg at a new bucket on the S3 test server, through a
// proxy that counts the requests on states.
func s3Storage(t *testing.T, cfg *Config) *s3Requests {
	s3 := testenv.StartS3(t)
	base := s3.BucketURL(t, "remddrops")
	target, _ := url.Parse(s3.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(target)
	c := &s3Requests{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		state := strings.Contains(r.URL.Path, "/replica-")
		c.mu.Lock()
		switch {
		case r.Method == http.MethodDelete && state:
			c.single++
		case r.Method == http.MethodPost && r.URL.Query().Has("delete"):
			c.batch++
		case r.Method == http.MethodGet && state:
			c.gets++
		}
		c.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	cfg.Storage = ObjectStore
	cfg.StorageURL = strings.Replace(base, url.QueryEscape(s3.Endpoint), url.QueryEscape(proxy.URL), 1)
	return c
}

// The driver drops a round's old states in one request (S3's
// DeleteObjects) once its checkpoint allows, where segments used to send a
// DELETE each; the store ends with only the final states.
func TestOldStatesDroppedInOneRequestPerRound(t *testing.T) {
	cfg := smallRun()
	reqs := s3Storage(t, &cfg)
	cfg.Out = t.TempDir()
	want := runTo(t, "local://", smallRun())
	sameFiles(t, "objectstore on S3, process:// vs payload", runTo(t, "process://?workers=2", cfg), want)
	single, batch, _ := reqs.take()
	if single != 0 {
		t.Errorf("%d DELETEs of single states: want none (segments drop nothing)", single)
	}
	if batch < 1 || batch > cfg.Rounds {
		t.Errorf("%d DeleteObjects for %d rounds: want one per round at most, and some", batch, cfg.Rounds)
	}
	onlyFinalStates(t, cfg, cfg.Out)
}

// A losing attempt (a straggler whose backup won) can store its state after
// the driver dropped its round, when its worker had not read the cancel
// before the function ended. The run's last drop sweeps the recent rounds
// again, so such a state is not left behind, on S3 and on Redis alike.
func TestLateStateOfALosingAttemptIsSwept(t *testing.T) {
	storages := map[string]func(*Config){
		"s3": func(c *Config) { s3Storage(t, c) },
		"redis": func(c *Config) {
			redis := testenv.StartRedis(t, testenv.RedisOptions{})
			c.Storage, c.SharedURL = Shared, redis.URL(url.Values{"namespace": {"remd-late"}})
		},
	}
	for name, set := range storages {
		t.Run(name, func(t *testing.T) {
			cfg := smallRun()
			set(&cfg)
			cfg.Out = t.TempDir()
			ctx := context.Background()
			store, err := openStore(ctx, cfg.Storage, cfg.storeURL())
			if err != nil {
				t.Fatal(err)
			}
			var late error
			cfg.OnRound = func(rr RoundResult) {
				if rr.Round != 12 {
					return
				}
				// Round 2's states were dropped rounds ago.
				ck, err := loadCheckpoint(cfg.Out)
				if err == nil {
					err = store.save(ctx, stateKey(ck.RunID, 2, 4), engine.State{X: engine.Floats{1}, V: engine.Floats{1}})
				}
				late = err
			}
			runTo(t, "local://", cfg)
			if late != nil {
				t.Fatal(late)
			}
			onlyFinalStates(t, cfg, cfg.Out)
		})
	}
}

// A run stopped at any round, whose drop after its last checkpoint never
// happened, resumes to the bytes of an unbroken run; the resumed session
// drops what the stopped one left, on S3 and on Redis alike.
func TestResumeDropsWhatAKilledRunLeft(t *testing.T) {
	want := runTo(t, "local://", smallRun())
	storages := map[string]func(*Config){
		"s3": func(c *Config) { s3Storage(t, c) },
		"redis": func(c *Config) {
			redis := testenv.StartRedis(t, testenv.RedisOptions{})
			c.Storage, c.SharedURL = Shared, redis.URL(url.Values{"namespace": {"remd-drops"}})
		},
	}
	for name, set := range storages {
		t.Run(name, func(t *testing.T) {
			cfg := smallRun()
			set(&cfg)
			ctx := context.Background()
			store, err := openStore(ctx, cfg.Storage, cfg.storeURL())
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []int{0, 1, 2, 7, 20} {
				dir := runStoppedAfter(t, cfg, r)
				ck, err := loadCheckpoint(dir)
				if err != nil {
					t.Fatal(err)
				}
				// What a kill between the last checkpoint and its drop
				// leaves, with the dropper a round behind: the states of
				// the two rounds before. Not states the engine takes, so
				// a resume that read one would fail.
				for r := max(ck.Done-3, 0); r < ck.Done-1; r++ {
					for rep := range cfg.Temperatures {
						junk := engine.State{X: engine.Floats{1}, V: engine.Floats{1}}
						if err := store.save(ctx, stateKey(ck.RunID, r, rep), junk); err != nil {
							t.Fatal(err)
						}
					}
				}
				resumed := cfg
				resumed.Out, resumed.Resume = dir, true
				sameFiles(t, fmt.Sprintf("stopped after round %d (checkpoint %d), resumed, vs unbroken", r, ck.Done-1),
					runTo(t, "process://?workers=2", resumed), want)
				onlyFinalStates(t, cfg, dir)
				if t.Failed() {
					return
				}
				// The next run starts with an empty store.
				if err := store.removeMany(ctx, storedStates(t, cfg)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// A replica's next segment in the process that stored its state takes it
// from memory: on local:// a run reads states from the store only for its
// result, and a resumed session for its first round too (what an earlier
// session stored, or an edit of the store between sessions, is read from
// the store). The bytes are those of a payload run either way.
func TestKeptStatesSkipTheStore(t *testing.T) {
	want := runTo(t, "local://", smallRun())
	cfg := smallRun()
	reqs := s3Storage(t, &cfg)
	n := len(cfg.Temperatures)

	cfg.Out = t.TempDir()
	sameFiles(t, "objectstore on local:// vs payload", runTo(t, "local://", cfg), want)
	if _, _, got := reqs.take(); got != n {
		t.Errorf("a run on local:// read %d states from the store, want %d (its result)", got, n)
	}

	cfg.Out = ""
	dir := runStoppedAfter(t, cfg, 11)
	resumed := cfg
	resumed.Out, resumed.Resume = dir, true
	reqs.take()
	sameFiles(t, "resumed on local:// vs payload", runTo(t, "local://", resumed), want)
	if _, _, got := reqs.take(); got != 2*n {
		t.Errorf("a resumed run on local:// read %d states from the store, want %d (its first round's and its result)", got, 2*n)
	}
}
