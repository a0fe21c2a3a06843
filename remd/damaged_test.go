package remd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/shared/redis"
)

// rawStore reads and writes a store's state values as the bytes they are,
// as a bad disk or a hand edit would change them.
type rawStore struct {
	get func(key string) []byte
	put func(key string, b []byte)
}

func openRaw(t *testing.T, cfg Config) rawStore {
	t.Helper()
	ctx := context.Background()
	switch cfg.Storage {
	case ObjectStore:
		fsys, err := cloudfs.Open(ctx, cfg.StorageURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fsys.Close() })
		return rawStore{
			get: func(key string) []byte {
				b, err := fsys.ReadFile(key)
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
			put: func(key string, b []byte) {
				if err := fsys.WriteFile(key, b); err != nil {
					t.Fatal(err)
				}
			},
		}
	case Shared:
		st, err := openStore(ctx, Shared, cfg.SharedURL)
		if err != nil {
			t.Fatal(err)
		}
		m := st.(sharedStore).m
		return rawStore{
			get: func(key string) []byte {
				b, ok, err := m.Load(ctx, key)
				if err != nil || !ok {
					t.Fatalf("load %s: %v, %v", key, ok, err)
				}
				return b
			},
			put: func(key string, b []byte) {
				if err := m.Store(ctx, key, b); err != nil {
					t.Fatal(err)
				}
			},
		}
	}
	t.Fatalf("no raw access to %s storage", cfg.Storage)
	return rawStore{}
}

// realStores are the real stores the state tests run on: a file:// bucket,
// the S3 test server and Redis.
func realStores(t *testing.T) map[string]func(*Config) {
	return map[string]func(*Config){
		"file": func(c *Config) { c.Storage, c.StorageURL = ObjectStore, "file://"+t.TempDir() },
		"s3": func(c *Config) {
			s3 := testenv.StartS3(t)
			c.Storage, c.StorageURL = ObjectStore, s3.BucketURL(t, "remddamage")
		},
		"redis": func(c *Config) {
			redis := testenv.StartRedis(t, testenv.RedisOptions{})
			c.Storage, c.SharedURL = Shared, redis.URL(url.Values{"namespace": {"remd-damage"}})
		},
	}
}

func runErrOn(t *testing.T, poolURL string, cfg Config) error {
	t.Helper()
	_, err := runOn(t, poolURL, cfg)
	return err
}

// runOn runs cfg on a pool opened from poolURL for the run.
func runOn(t *testing.T, poolURL string, cfg Config) (*Result, error) {
	t.Helper()
	p, err := pool.Open(context.Background(), poolURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	return Run(context.Background(), p, cfg)
}

// checkpointed is what a stopped run in dir has written and a failed
// resume must keep: the checkpoint, and each CSV file's bytes up to the
// length it records.
func checkpointed(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ck, err := loadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	kept := map[string][]byte{checkpointFile: files[checkpointFile]}
	for name, off := range ck.Offsets {
		if int64(len(files[name])) < off {
			t.Fatalf("%s has %d bytes, its checkpoint says %d", name, len(files[name]), off)
		}
		kept[name] = files[name][:off]
	}
	return kept
}

// A state changed in the store (a byte flipped, cut short, another
// replica's valid state copied over it) stops a resumed run at its first
// segment with ErrDamagedState, on every store and across process://
// workers, naming the state's key and replica, and saying what to do; the
// checkpoint and the CSV files stay as they were, and once the state is
// put back -resume gives the bytes of an unbroken run. (Such a state used to
// be read as good, a length mismatch aside, and the run went on from wrong
// coordinates.)
func TestDamagedStateStopsTheRun(t *testing.T) {
	want := runTo(t, "local://", smallRun())
	damages := map[string]func(raw rawStore, key, other string) []byte{
		"a byte flipped": func(raw rawStore, key, _ string) []byte {
			b := bytes.Clone(raw.get(key))
			b[len(b)-12] ^= 0x10 // a bit of the last velocity
			return b
		},
		"cut short": func(raw rawStore, key, _ string) []byte {
			b := raw.get(key)
			return b[:len(b)-8]
		},
		"another replica's": func(raw rawStore, _, other string) []byte { return raw.get(other) },
	}
	for name, set := range realStores(t) {
		t.Run(name, func(t *testing.T) {
			cfg := smallRun()
			set(&cfg)
			raw := openRaw(t, cfg)
			dir := runStoppedAfter(t, cfg, 11)
			ck, err := loadCheckpoint(dir)
			if err != nil {
				t.Fatal(err)
			}
			before := checkpointed(t, dir)
			const rep = 2
			key := stateKey(ck.RunID, ck.Done-1, rep)
			other := stateKey(ck.RunID, ck.Done-1, rep+1)
			good := raw.get(key)
			resumed := cfg
			resumed.Out, resumed.Resume = dir, true
			for what, damage := range damages {
				raw.put(key, damage(raw, key, other))
				err := runErrOn(t, "process://?workers=2", resumed)
				msg := fmt.Sprint(err)
				if !errors.Is(err, ErrDamagedState) {
					t.Fatalf("%s: resume: err = %v, want ErrDamagedState", what, err)
				}
				// The round and call of the segment that failed, not of one
				// its failure cancelled.
				if ok, _ := regexp.MatchString(fmt.Sprintf(`^remd: round %d: pool: call remd\.segment#\d+( \(\d+ attempts\))?: remd: replica %d round %d: `, ck.Done, rep, ck.Done), msg); !ok {
					t.Errorf("%s: err = %v\nwant it to start with the round and call of replica %d's segment", what, err, rep)
				}
				for _, w := range []string{"load state " + key,
					fmt.Sprintf("checkpoint in %s (after round %d) continues from this state", dir, ck.Done-1), "put back a good copy of " + key} {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: err = %v\nwant it to say %q", what, err, w)
					}
				}
				after := checkpointed(t, dir)
				for f, b := range before {
					if !bytes.Equal(after[f], b) {
						t.Errorf("%s: the refused resume changed %s", what, f)
					}
				}
				if _, err := os.Stat(filepath.Join(dir, SummaryFile)); err == nil {
					t.Errorf("%s: the refused resume wrote %s", what, SummaryFile)
				}
			}
			raw.put(key, good)
			sameFiles(t, "resumed once the state is put back vs unbroken", runTo(t, "process://?workers=2", resumed), want)
		})
	}
}

// A finished run whose final state is damaged is refused when it is
// resumed (at its end, to read its result), with the same advice.
func TestDamagedFinalState(t *testing.T) {
	cfg := smallRun()
	cfg.Rounds = 4
	cfg.Storage, cfg.StorageURL = ObjectStore, "file://"+t.TempDir()
	cfg.Out = t.TempDir()
	runTo(t, "local://", cfg)
	ck, err := loadCheckpoint(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	raw := openRaw(t, cfg)
	key := stateKey(ck.RunID, cfg.Rounds-1, 0)
	b := bytes.Clone(raw.get(key))
	b[len(stateMagic)+5] ^= 1 // a byte of the key in the header
	raw.put(key, b)
	cfg.Resume = true
	err = runErrOn(t, "local://", cfg)
	if !errors.Is(err, ErrDamagedState) || !strings.Contains(err.Error(), "final state of replica 0") ||
		!strings.Contains(err.Error(), "put back a good copy of "+key) {
		t.Errorf("err = %v, want ErrDamagedState naming replica 0's final state and what to do", err)
	}
}

// A segment cancelled by another's failure carries it as its cause: the
// run reports the one that failed, with its round.
func TestRunReportsTheCauseNotACancelledSegment(t *testing.T) {
	root := &pool.CallError{Func: "remd.segment", ID: 4, Err: errors.New("replica 2 round 12: damaged")}
	cancelled := &pool.CallError{Func: "remd.segment", ID: 6, Err: root}
	other := &pool.CallError{Func: "remd.segment", ID: 7, Err: errors.New("unrelated")}
	all := []segmentDone{{round: 13, rep: 4, err: cancelled}, {round: 12, rep: 2, err: root}, {round: 13, rep: 1, err: other}}
	for _, c := range []struct {
		d    segmentDone
		want error
	}{{all[0], root}, {all[1], root}, {all[2], other}} {
		if got := causeOf(c.d, all); got.err != c.want {
			t.Errorf("causeOf(%v) = %v, want %v", c.d.err, got.err, c.want)
		}
	}
}

// What a run stopped by a damaged state can do depends on its checkpoint.
func TestDamageAdvice(t *testing.T) {
	for _, c := range []struct {
		checkpointed, round int
		want                string
	}{
		{-1, 0, "no checkpoint yet: start it again (without -resume)"},
		{6, 7, "its checkpoint in out (after round 6) does not need this state: -resume redoes the rounds after it"},
		{7, 7, "its checkpoint in out (after round 7) continues from this state, and the store keeps no older copy"},
	} {
		if got := damageAdvice("out", c.checkpointed, "k", c.round); !strings.Contains(got, c.want) {
			t.Errorf("checkpoint %d, state of round %d: %q, want it to say %q", c.checkpointed, c.round, got, c.want)
		}
	}
	for _, c := range []struct {
		key   string
		round int
		ok    bool
	}{
		{stateKey("0123abcd", 11, 2), 11, true},
		{stateKey("f", 1234567, 12345), 1234567, true},
		{"remd/0123abcd/r11/replica-2.json", 0, false},
		{"remd/0123abcd/r000011/replica-0002.json.bak", 0, false},
		{"elsewhere", 0, false},
	} {
		if r, ok := keyRound(c.key); r != c.round && c.ok || ok != c.ok {
			t.Errorf("keyRound(%q) = %d, %v; want %d, %v", c.key, r, ok, c.round, c.ok)
		}
	}
}

// States stored by earlier versions, without checksum, still read: a run
// they checkpointed resumes to the bytes of an unbroken run (objectstore's
// v1 header, shared storage's codec.Binary of engine.State on Redis; the
// JSON of objectstore before both: TestResumeFromJSONStates).
func TestResumeFromUncheckedStates(t *testing.T) {
	want := runTo(t, "local://", smallRun())
	olds := map[string]func(engine.State) []byte{
		"file": func(st engine.State) []byte { return appendStates([]byte(stateMagicV1), []engine.State{st}) },
		"redis": func(st engine.State) []byte {
			b, err := codec.Binary.Marshal(&st)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	}
	all := realStores(t)
	for name, old := range olds {
		t.Run(name, func(t *testing.T) {
			cfg := smallRun()
			all[name](&cfg)
			raw := openRaw(t, cfg)
			dir := runStoppedAfter(t, cfg, 11)
			keys := storedStates(t, cfg)
			if len(keys) == 0 {
				t.Fatal("the stopped run left no states")
			}
			for _, k := range keys {
				st, err := decodeState(k, raw.get(k))
				if err != nil {
					t.Fatal(err)
				}
				raw.put(k, old(st))
			}
			resumed := cfg
			resumed.Out, resumed.Resume = dir, true
			sameFiles(t, "resumed from states of an earlier version vs unbroken", runTo(t, "process://?workers=2", resumed), want)
		})
	}
}
