package cloudfs_test

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/cloudfs"
)

// TestWriteRequests counts, through the proxy of figure 1, the requests
// one write at depth 4 costs. The checks that make a write fail as os
// would (EISDIR, ENOTDIR) once cost a listing and a HEAD per parent on
// every write (5 requests with the PUT); now each parent is asked once and
// each name listed once, so writing a name again costs its PUT alone and
// a new name its PUT and one listing.
func TestWriteRequests(t *testing.T) {
	u, proxy := s3ViaProxy(t)
	fsys := openURL(t, u)
	// What the checks learnt is trusted for 5 s; the counts must not
	// depend on how loaded the machine is.
	cloudfs.SetWriteCheckTTL(fsys, time.Hour)
	const writes = 20
	count := func(what string, want float64, write func(i int) error) {
		t.Helper()
		proxy.reset()
		for i := range writes {
			if err := write(i); err != nil {
				t.Fatalf("%s: write %d: %v", what, i, err)
			}
		}
		per := float64(proxy.requests.Load()) / writes
		t.Logf("%s: %.2f requests per write (%d writes)", what, per, writes)
		if per > want {
			t.Errorf("%s: %.2f requests per write, want at most %.2f", what, per, want)
		}
	}
	// The first write lists the name and HEADs its 3 parents; the rest
	// only PUT.
	first := (5.0 + writes - 1) / writes
	count("WriteFile of one name", first, func(int) error {
		return fsys.WriteFile("runs/42/state/replica-3.json", []byte("{}"))
	})
	// runs/42/frames is the one parent not asked yet.
	count("WriteFile of new names", 2+1.0/writes, func(i int) error {
		return fsys.WriteFile(fmt.Sprintf("runs/42/frames/%04d.xtc", i), []byte("x"))
	})
	count("Create, Write, Close of one name", first, func(int) error {
		w, err := fsys.Create("runs/42/state/replica-4.json")
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte("{}")); err != nil {
			return err
		}
		return w.Close()
	})
}

// TestWriteChecksSeeOwnWrites: what the checks remember is dropped by the
// writes that contradict it, through any view of the FS.
func TestWriteChecksSeeOwnWrites(t *testing.T) {
	for _, u := range []string{"mem://", "file://" + t.TempDir()} {
		fsys := openURL(t, u)
		cloudfs.SetWriteCheckTTL(fsys, time.Hour)
		sub, err := fsys.Sub("a")
		if err != nil {
			t.Fatal(err)
		}
		view := sub.(*cloudfs.FS)
		steps := []struct {
			what string
			do   func() error
			want error
		}{
			{"WriteFile(a/b/x)", func() error { return fsys.WriteFile("a/b/x", nil) }, nil},
			{"WriteFile(a/b)", func() error { return fsys.WriteFile("a/b", nil) }, syscall.EISDIR},
			{"RemoveAll(a)", func() error { return fsys.RemoveAll("a") }, nil},
			{"Sub(a).WriteFile(b)", func() error { return view.WriteFile("b", nil) }, nil},
			{"WriteFile(a/b/y)", func() error { return fsys.WriteFile("a/b/y", nil) }, syscall.ENOTDIR},
			{"Remove(a/b)", func() error { return fsys.Remove("a/b") }, nil},
			{"WriteFile(a/b/y) again", func() error { return fsys.WriteFile("a/b/y", nil) }, nil},
			{"Rename(a/b, c/d)", func() error { return fsys.Rename("a/b", "c/d") }, nil},
			{"WriteFile(c/d)", func() error { return fsys.WriteFile("c/d", nil) }, syscall.EISDIR},
			{"Rename(c/d/y, e)", func() error { return fsys.Rename("c/d/y", "e") }, nil},
			{"CreateExclusive(e/f)", func() error { return fsys.CreateExclusive("e/f", nil) }, syscall.ENOTDIR},
		}
		for _, s := range steps {
			if err := s.do(); s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
				t.Errorf("%s: %s = %v, want %v", u, s.what, err, s.want)
			}
		}
	}
}
