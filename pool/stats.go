package pool

import (
	"sync"
	"sync/atomic"
	"time"
)

// CallStats describes one call. Started and Ended come from the worker's
// clock, the others from the driver's.
type CallStats struct {
	Func      string
	ID        uint64
	Submitted time.Time // when the call was made
	Started   time.Time // when the function began (last attempt)
	Ended     time.Time // when the function returned (last attempt)
	Returned  time.Time // when the result was back in the driver
	// Attempts counts every attempt: the first, retries after a failure,
	// and a backup attempt (see Backups).
	Attempts int
	// Backups is the number of backup attempts started for the call
	// (WithBackups; 0 or 1): Attempts − 1 − Backups were retries.
	Backups   int
	Worker    string // which worker ran the last attempt
	ColdStart bool   // the worker's first call
	BytesIn   int    // encoded input size (0 when not encoded)
	BytesOut  int    // encoded output size
	// Backup: the result came from a backup attempt (WithBackups).
	Backup bool
	// Abandoned: the call returned (deadline, cancellation) while its
	// function may still run: an in-process goroutine left behind, or a
	// platform invocation that cannot be cancelled and may still be billed.
	Abandoned bool
}

// Stats aggregates every call made through a pool.
type Stats struct {
	Calls      int64         // calls finished, successful or not
	Failed     int64         // calls that returned an error
	Retries    int64         // attempts after a failed one (lost worker, throttling, a transient error); not backups
	ColdStarts int64         // calls that were a worker's first
	BytesIn    int64         // encoded input bytes sent
	BytesOut   int64         // encoded output bytes received
	Busy       time.Duration // sum over calls of Ended − Started
	Backups    int64         // backup attempts started (WithBackups)
	BackupWins int64         // calls whose result came from the backup
	Abandoned  int64         // calls, and losing backup attempts, given up while their function may still run
}

type counters struct {
	calls, failed, retries, cold, bytesIn, bytesOut, busy atomic.Int64
	backups, backupWins, abandoned                        atomic.Int64

	// How the recent backups fared, each outcome weighing 0.9 times the
	// one after it, so that the last ten or so count.
	hedgeMu               sync.Mutex
	recentWon, recentLost float64
}

func (c *counters) record(s *CallStats, failed bool) {
	c.calls.Add(1)
	if failed {
		c.failed.Add(1)
	}
	// A backup attempt is counted in backups when it starts, not here:
	// it follows no failure.
	if n := s.Attempts - 1 - s.Backups; n > 0 {
		c.retries.Add(int64(n))
	}
	if s.ColdStart {
		c.cold.Add(1)
	}
	if s.Abandoned {
		c.abandoned.Add(1)
	}
	c.bytesIn.Add(int64(s.BytesIn))
	c.bytesOut.Add(int64(s.BytesOut))
	if !s.Started.IsZero() && s.Ended.After(s.Started) {
		c.busy.Add(int64(s.Ended.Sub(s.Started)))
	}
}

func (c *counters) snapshot() Stats {
	return Stats{
		Calls: c.calls.Load(), Failed: c.failed.Load(), Retries: c.retries.Load(),
		ColdStarts: c.cold.Load(), BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(),
		Busy: time.Duration(c.busy.Load()), Backups: c.backups.Load(), BackupWins: c.backupWins.Load(),
		Abandoned: c.abandoned.Load(),
	}
}

// backupOutcome records whether a backup won.
func (c *counters) backupOutcome(won bool) {
	c.hedgeMu.Lock()
	c.recentWon, c.recentLost = 0.9*c.recentWon, 0.9*c.recentLost
	if won {
		c.recentWon++
	} else {
		c.recentLost++
	}
	c.hedgeMu.Unlock()
}

// backupRecord returns the recent weight of backups that won and lost.
func (c *counters) backupRecord() (won, lost float64) {
	c.hedgeMu.Lock()
	defer c.hedgeMu.Unlock()
	return c.recentWon, c.recentLost
}
