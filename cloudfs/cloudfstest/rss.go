package cloudfstest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
)

// The memory figure of a streaming Create is measured in a fresh child
// process — the test binary run again with only TestRSSChild — so that what
// earlier benchmarks allocated cannot hide growth. A test package that
// benchmarks it declares
//
//	func TestRSSChild(t *testing.T) { cloudfstest.RSSChild(t) }
const (
	envRSSURL  = "CLOUDFS_RSS_URL"
	envRSSName = "CLOUDFS_RSS_NAME"
	rssSize    = 256 << 20
)

// BenchCreateRSS streams 256 MiB through Create to the store at url, b.N
// times, each in a child process, and reports the worst peak RSS growth
// against the part size.
func BenchCreateRSS(b *testing.B, url string) {
	var worst int64
	for i := range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.v")
		cmd.Env = append(os.Environ(), envRSSURL+"="+url+"&prefix=rss/", envRSSName+"="+fmt.Sprint("obj", i))
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		growth := int64(-1)
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "rss-growth="); ok {
				growth, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if growth < 0 {
			b.Fatalf("child printed no rss-growth (does the package declare TestRSSChild?):\n%s", out)
		}
		worst = max(worst, growth)
	}
	b.ReportMetric(float64(worst)/(1<<20), "rss-growth-MiB")
	b.ReportMetric(float64(cloudfs.DefaultPartSize)/(1<<20), "part-MiB")
	b.ReportMetric(float64(worst)/cloudfs.DefaultPartSize, "x-part")
}

// RSSChild is the child side of BenchCreateRSS; in a normal test run it
// skips.
func RSSChild(t *testing.T) {
	u := os.Getenv(envRSSURL)
	if u == "" {
		t.Skip("run by BenchCreateRSS")
	}
	fsys, err := cloudfs.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	buf := bytes.Repeat([]byte("cloudfs!"), (1<<20)/8)
	// Warm up the client (connections, SDK caches) so the measurement is of
	// the write path.
	if err := fsys.WriteFile("warmup", buf[:1024]); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	before := procStatus(t, "VmRSS")
	// Reset the peak to the current RSS (Linux: "5" clears VmHWM).
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset peak RSS: %v", err)
	}
	w, err := fsys.Create(os.Getenv(envRSSName))
	if err != nil {
		t.Fatal(err)
	}
	for written := 0; written < rssSize; written += len(buf) {
		if _, err := w.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	peak := procStatus(t, "VmHWM")
	fmt.Printf("rss-growth=%d\n", peak-before)
	fmt.Printf("rss-before=%d peak=%d\n", before, peak)
}

// procStatus reads a kB field of /proc/self/status, in bytes.
func procStatus(t *testing.T, field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("parse %s %q: %v", field, v, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}
