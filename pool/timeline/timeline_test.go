package timeline_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/timeline"
)

var nap = pool.Register("timeline.nap", func(ctx context.Context, d time.Duration) (int, error) {
	time.Sleep(d)
	return 0, nil
})

func TestRecordsEveryCallAndDraws(t *testing.T) {
	rec := timeline.New()
	p, err := pool.Open(context.Background(), "local://?limit=2", pool.WithCallHook(rec.Observe))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ins := []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}
	if _, err := nap.Map(context.Background(), p, ins); err != nil {
		t.Fatal(err)
	}
	s := rec.Summarize()
	if s.Calls != 4 || s.Attempts != 4 {
		t.Fatalf("Summary = %+v, want 4 calls of 1 attempt", s)
	}
	// Two slots for four 20 ms naps: at least two rounds, and 80 ms of work.
	if s.Span < 40*time.Millisecond || s.Busy < 80*time.Millisecond {
		t.Fatalf("Summary = %+v, want span ≥ 40ms and busy ≥ 80ms", s)
	}
	var svg bytes.Buffer
	if err := rec.WriteSVG(&svg, "naps"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svg.String(), "<svg") || !strings.Contains(svg.String(), "4 calls") {
		t.Fatalf("SVG lacks the drawing or its title: %.200s", svg.String())
	}
}

func TestEmptyRecorderSaysSo(t *testing.T) {
	if err := timeline.New().WriteSVG(&bytes.Buffer{}, "x"); err == nil {
		t.Fatal("no error for an empty timeline")
	}
}
