package remd

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/internal/testenv"
)

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
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
		st, err := decodeState(name, b)
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

// A -storage-url whose bucket does not exist, here with a name S3 does not
// take, stops the run at its first request naming the bucket and the names
// S3 takes. It stopped with "lease run …: create remd/…/lease.json: file
// does not exist", which sent the user looking for a file.
func TestMissingBucketIsNamed(t *testing.T) {
	s3 := testenv.StartS3With(t, testenv.S3Options{NoAutobucket: true})
	cfg := smallRun()
	cfg.Out = t.TempDir()
	cfg.Storage = ObjectStore
	cfg.StorageURL = strings.Replace(s3.BucketURL(t, "remdexists"), "remdexists", "Bad_Name", 1)
	err := runErrOn(t, "local://", cfg)
	if err == nil || !strings.Contains(err.Error(), `bucket "Bad_Name" does not exist`) ||
		!strings.Contains(err.Error(), "S3 bucket names are") || strings.Contains(err.Error(), "file does not exist") {
		t.Fatalf("Run on a missing bucket: %v\nwant it to name bucket \"Bad_Name\" and the names S3 takes", err)
	}
}
