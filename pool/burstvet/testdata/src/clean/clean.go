// Package clean has registered functions that keep their own worker-side
// state, which burstvet must not report.
package clean

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/burst-dev/burst/pool"
)

var (
	word = regexp.MustCompile(`\w+`) // read only
	// cache is the worker's own: only the function uses it.
	cache struct {
		sync.Mutex
		m map[string]int
	}
	openers = map[string]func() int{} // filled by init, which workers run too
)

func init() { openers["one"] = func() int { return 1 } }

// meta is unexported, but its fields are exported and promoted: they travel.
type meta struct{ Source string }

type In struct {
	meta
	Text  string
	When  time.Time
	Extra any
	Opts  []byte
	Next  *In
}

type Out struct {
	Words map[string]int
	Dur   time.Duration
}

var Count = pool.Register("clean.count", count)

func count(ctx context.Context, in In) (Out, error) {
	cache.Lock()
	defer cache.Unlock()
	if cache.m == nil {
		cache.m = map[string]int{}
	}
	out := Out{Words: map[string]int{}}
	for _, w := range word.FindAllString(in.Text, -1) {
		out.Words[w]++
		cache.m[w]++
	}
	out.Words["one"] = openers["one"]()
	// Diagnostics through log and slog, and text built in memory, are fine.
	var b strings.Builder
	fmt.Fprintf(&b, "%d words", len(out.Words))
	slog.InfoContext(ctx, "counted", "summary", b.String())
	log.Printf("counted %s", b.String())
	var local sync.Mutex // the call's own
	local.Lock()
	local.Unlock()
	return out, nil
}

// Run is the driver's side: it may use its own state freely.
func Run(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(word.FindAllString(l, -1))
	}
	return n
}
