package remd

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// The driver's memory, as measured with examples/remd (payload storage,
// lj13 at 5 000 and 20 000 replicas, lj1000 and lj10000 at 8): about
// 14 KiB per replica for its call, result, future and bookkeeping, and about
// eight copies of each state (the round's inputs and outputs, the encoded
// calls, the checkpoint's snapshot, packing and JSON). The estimate rounds
// both up.
const (
	memBase          = 64 << 20
	memPerReplica    = 16 << 10
	memStateCopies   = 10
	bytesPerStateNum = 8 * 2 // a coordinate and a velocity
)

// memoryEstimate is the driver's memory for n replicas of dim coordinates,
// in bytes, as a float64 so that absurd sizes do not overflow.
func memoryEstimate(n, dim int) float64 {
	return memBase + float64(n)*(memPerReplica+memStateCopies*bytesPerStateNum*float64(dim))
}

// checkMemory refuses a run whose estimate exceeds limit (0: the memory
// available to this process now), before anything is written: such runs
// used to grow until the kernel killed them, after the previous run's files
// were gone.
func (c *Config) checkMemory(dim int) error {
	return CheckMemory(c.System, len(c.Temperatures), dim, c.MemoryLimit)
}

// CheckMemory refuses, with the estimate, a run of n replicas of system
// (states of dim numbers; 0 if not known yet) that needs more memory in the
// driver than limit bytes (0: what this machine has available now). Run
// checks it; a program can call it before it builds a large ladder.
func CheckMemory(system string, n, dim int, limit0 int64) error {
	need := memoryEstimate(n, dim)
	limit := float64(limit0)
	what := "the memory limit set"
	if limit0 == 0 {
		avail, ok := availableMemory()
		if !ok {
			return nil
		}
		limit, what = float64(avail), "this machine has available now"
	}
	if need <= limit {
		return nil
	}
	return fmt.Errorf("remd: %d replicas of %s (%d coordinates each) need about %s of memory in the driver (%s per replica, and %d copies of each %s state), more than the %s %s: use fewer replicas or a smaller system",
		n, system, dim, bytesString(need), bytesString(memPerReplica), memStateCopies, bytesString(bytesPerStateNum*float64(dim)), bytesString(limit), what)
}

func bytesString(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// availableMemory is MemAvailable from /proc/meminfo, capped by the cgroup
// (v2) limit less its usage; ok is false where neither can be read.
func availableMemory() (avail int64, ok bool) {
	avail = math.MaxInt64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, found := strings.CutPrefix(sc.Text(), "MemAvailable:"); found {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64); err == nil {
					avail, ok = kb<<10, true
				}
			}
		}
		f.Close()
	}
	max, err1 := os.ReadFile("/sys/fs/cgroup/memory.max")
	cur, err2 := os.ReadFile("/sys/fs/cgroup/memory.current")
	if err1 == nil && err2 == nil {
		m, errm := strconv.ParseInt(strings.TrimSpace(string(max)), 10, 64) // "max" means none
		c, errc := strconv.ParseInt(strings.TrimSpace(string(cur)), 10, 64)
		if errm == nil && errc == nil {
			avail, ok = min(avail, m-c), true
		}
	}
	return avail, ok
}
