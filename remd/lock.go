package remd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// lockFile in the output directory is held (flock, exclusive) by the run
// writing there. Two runs appending to one folder interleave their rows and
// a checkpoint then describes the mixture, so the second is refused.
const lockFile = ".remd.lock"

// errLocked is wrapped by the error of a run refused because another holds
// its folder or its states.
var errLocked = errors.New("in use by another run")

// owner describes a process holding a lock, for the refusal's message.
type owner struct {
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

func thisProcess() owner {
	h, _ := os.Hostname()
	return owner{Host: h, PID: os.Getpid(), Started: time.Now().UTC().Truncate(time.Second)}
}

func (o owner) String() string {
	return fmt.Sprintf("pid %d on %s, since %s", o.PID, o.Host, o.Started.Format(time.RFC3339))
}

// dirLock is the held lock of an output directory.
type dirLock struct{ f *os.File }

// lockDir takes the output directory's lock without waiting; when another
// process holds it, the error names that process.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("remd: lock %s: %w", dir, err)
	}
	if err := flockExclusive(f); err != nil {
		var who owner
		b, _ := os.ReadFile(path)
		f.Close()
		msg := "another run"
		if json.Unmarshal(b, &who) == nil && who.PID != 0 {
			msg = "the run of " + who.String()
		}
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("remd: %s is %w: %s writes there; wait for it to end or choose another -out", dir, errLocked, msg)
		}
		return nil, fmt.Errorf("remd: lock %s: %w", dir, err)
	}
	b, _ := json.Marshal(thisProcess())
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(b, '\n'), 0)
	}
	return &dirLock{f}, nil
}

// unlock releases the lock. The file stays: removing it would let a third
// run lock a new file while a second still waits on the old one.
func (l *dirLock) unlock() {
	if l != nil {
		l.f.Truncate(0)
		l.f.Close() // closing the descriptor releases the flock
	}
}

// A stateLease keeps a run's states in ObjectStore and Shared storage its
// own: two processes continuing the same checkpoint (a copied folder, or one
// on a file system shared by two machines, where flock may not reach) would
// overwrite each other's states under one run id. The lease is a record
// beside the states that its holder renews; one that is not renewed for
// leaseTTL, or whose process is gone from this machine, may be taken over.
type stateLease struct {
	store leaseStore
	key   string
	mine  leaseRecord

	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	err  error // the renewal's failure, if it lost the lease
}

const (
	leaseTTL   = 30 * time.Second
	leaseRenew = leaseTTL / 3
)

type leaseRecord struct {
	owner
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// leaseStore is what ObjectStore and Shared storage offer leases with.
type leaseStore interface {
	// createLease stores rec under key if key holds nothing; otherwise it
	// returns the record there and false.
	createLease(ctx context.Context, key string, rec leaseRecord) (cur leaseRecord, ok bool, err error)
	// replaceLease stores rec under key if key still holds old.
	replaceLease(ctx context.Context, key string, old, rec leaseRecord) (bool, error)
	// deleteLease removes key if it still holds old.
	deleteLease(ctx context.Context, key string, old leaseRecord) error
}

func leaseKey(runID string) string { return "remd/" + runID + "/lease.json" }

// takeLease leases runID's states in st for this process, renewing it until
// release. It refuses, naming the holder, while another live process holds it.
func takeLease(ctx context.Context, st stateStore, where, runID string) (*stateLease, error) {
	ls, ok := st.(leaseStore)
	if !ok {
		return nil, nil
	}
	var tok [16]byte
	rand.Read(tok[:])
	l := &stateLease{store: ls, key: leaseKey(runID), stop: make(chan struct{}), done: make(chan struct{})}
	l.mine = leaseRecord{owner: thisProcess(), Token: hex.EncodeToString(tok[:]), Expires: time.Now().Add(leaseTTL).UTC()}
	cur, ok, err := ls.createLease(ctx, l.key, l.mine)
	if err != nil {
		return nil, fmt.Errorf("remd: lease run %s's states at %s: %w", runID, where, err)
	}
	if !ok {
		if !cur.lapsed() {
			return nil, fmt.Errorf("remd: run %s's states at %s are %w: the run of %s holds them (its lease, renewed every %v, ends %s if that run is gone); wait for it to end",
				runID, where, errLocked, cur.owner, leaseRenew, cur.Expires.Format(time.RFC3339))
		}
		if ok, err = ls.replaceLease(ctx, l.key, cur, l.mine); err != nil {
			return nil, fmt.Errorf("remd: lease run %s's states at %s: %w", runID, where, err)
		}
		if !ok {
			return nil, fmt.Errorf("remd: run %s's states at %s are %w that took them over at this moment", runID, where, errLocked)
		}
	}
	go l.renew()
	return l, nil
}

// lapsed reports whether the holder of r stopped renewing it or is a process
// of this machine that no longer exists.
func (r leaseRecord) lapsed() bool {
	if time.Now().After(r.Expires) {
		return true
	}
	h, _ := os.Hostname()
	return r.Host == h && r.PID > 0 && !processAlive(r.PID)
}

func (l *stateLease) renew() {
	defer close(l.done)
	t := time.NewTicker(leaseRenew)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		next := l.mine
		next.Expires = time.Now().Add(leaseTTL).UTC()
		ctx, cancel := context.WithTimeout(context.Background(), leaseRenew)
		ok, err := l.store.replaceLease(ctx, l.key, l.mine, next)
		cancel()
		switch {
		case err != nil:
			// A store that is briefly unreachable costs one renewal; the
			// lease still has two thirds of its time.
			continue
		case !ok:
			l.mu.Lock()
			l.err = fmt.Errorf("remd: lost the lease on the run's states (%s): another process took them over; stopping", l.key)
			l.mu.Unlock()
			return
		}
		l.mine = next
	}
}

// lost returns the error that ends a run whose lease was taken over.
func (l *stateLease) lost() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *stateLease) release() {
	if l == nil {
		return
	}
	close(l.stop)
	<-l.done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l.store.deleteLease(ctx, l.key, l.mine)
}

// equalLease compares records as stored (times at their stored precision).
func equalLease(a, b leaseRecord) bool {
	return a.Token == b.Token && a.Expires.Equal(b.Expires) && a.PID == b.PID && a.Host == b.Host
}
