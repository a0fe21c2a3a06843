package cloudfs_test

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/burst-dev/burst/cloudfs"
)

// TestWriteRequests counts, through the proxy of figure 1, the requests
// one write costs. The checks that make a write fail as os would (EISDIR,
// ENOTDIR) once cost a listing and a HEAD per parent on every write (5
// requests with the PUT at depth 4); now each parent is asked once and
// each name listed once, and a directory found empty needs no check for
// the names written in it. So writing a name again costs its PUT alone,
// so do new names in a new directory (as remd's checkpoints, a directory
// per round) after the first, and a new name in a directory holding
// other files its PUT and one listing.
func TestWriteRequests(t *testing.T) {
	u, proxy := s3ViaProxy(t)
	fsys := openURL(t, u)
	// What the checks learnt is trusted for 5 s; the counts must not
	// depend on how loaded the machine is.
	cloudfs.SetWriteCheckTTL(fsys, time.Hour)
	count := func(what string, writes int, want float64, write func(i int) error) {
		t.Helper()
		proxy.reset()
		for i := range writes {
			if err := write(i); err != nil {
				t.Fatalf("%s: write %d: %v", what, i, err)
			}
		}
		per := float64(proxy.requests.Load()) / float64(writes)
		t.Logf("%s: %.3f requests per write (%d writes; before: 5 at depth 4)", what, per, writes)
		if per > want {
			t.Errorf("%s: %.3f requests per write, want at most %.3f", what, per, want)
		}
	}
	// The first write lists the name and its directory and HEADs the 3
	// parents; the rest only PUT.
	count("WriteFile of one name at depth 4", 20, (6.0+19)/20, func(int) error {
		return fsys.WriteFile("remd/run/state/replica-3.json", []byte("{}"))
	})
	// A round's first write HEADs its new directory and lists it and the
	// name; the other 7 only PUT.
	const replicas = 8
	count("WriteFile of 8 replicas in a new directory per round, depth 4", 4*replicas, (4.0+replicas-1)/replicas, func(i int) error {
		return fsys.WriteFile(fmt.Sprintf("remd/run/r%06d/replica-%04d.json", i/replicas, i%replicas), []byte("{}"))
	})
	// 16 writers at once: the first 16 writes each ask (no check has
	// ended when they start), the rest are told.
	proxy.reset()
	var g errgroup.Group
	g.SetLimit(16)
	const burst = 128
	for i := range burst {
		g.Go(func() error { return fsys.WriteFile(fmt.Sprintf("remd/run/burst/%04d", i), []byte("x")) })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	per, want := float64(proxy.requests.Load())/burst, (16*4.0+burst-16)/burst
	t.Logf("WriteFile by 16 writers at once of new names in a new directory: %.3f requests per write (%d writes)", per, burst)
	if per > want {
		t.Errorf("16 writers at once: %.3f requests per write, want at most %.3f", per, want)
	}
	// What the burst's checks learnt counts every file it wrote.
	for i := range burst {
		if err := fsys.WriteFile(fmt.Sprintf("remd/run/burst/%04d/x", i), nil); !errors.Is(err, syscall.ENOTDIR) {
			t.Fatalf("WriteFile below a file of the burst = %v, want ENOTDIR", err)
		}
	}
	// Another FS (another program) finds the directory holding files: its
	// first write asks as the first above, the rest list their name.
	other := openURL(t, u)
	cloudfs.SetWriteCheckTTL(other, time.Hour)
	count("WriteFile of new names in a directory with files, depth 4", 16, (6.0+2*15)/16, func(i int) error {
		return other.WriteFile(fmt.Sprintf("remd/run/r000000/extra-%04d.json", i), []byte("{}"))
	})
	count("Create, Write, Close of one name at depth 4", 20, (6.0+19)/20, func(int) error {
		w, err := fsys.Create("remd/run/state/replica-4.json")
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
			// n is found empty by the first write: the names in it are
			// then told by what was written since.
			{"WriteFile(n/x)", func() error { return fsys.WriteFile("n/x", nil) }, nil},
			{"WriteFile(n/x/y)", func() error { return fsys.WriteFile("n/x/y", nil) }, syscall.ENOTDIR},
			{"WriteFile(n/z)", func() error { return fsys.WriteFile("n/z", nil) }, nil},
			{"Rename(n/z, n/w/v)", func() error { return fsys.Rename("n/z", "n/w/v") }, nil},
			{"WriteFile(n/w)", func() error { return fsys.WriteFile("n/w", nil) }, syscall.EISDIR},
			{"Create(n/w/v/u)", func() error { _, err := fsys.Create("n/w/v/u"); return err }, syscall.ENOTDIR},
			{"WriteFile(n/z) again", func() error { return fsys.WriteFile("n/z", nil) }, nil},
		}
		for _, s := range steps {
			if err := s.do(); s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
				t.Errorf("%s: %s = %v, want %v", u, s.what, err, s.want)
			}
		}
	}
}
