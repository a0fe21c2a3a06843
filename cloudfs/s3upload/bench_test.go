package s3upload_test

// Figure 3 of issue 3 with s3upload: peak RSS growth of Create + a 256 MiB
// streaming write to S3, in a fresh child process:
//
//	go test -run '^$' -bench Figure3 -benchtime 3x ./cloudfs/s3upload/

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
	"github.com/burst-dev/burst/internal/testenv"
)

// BenchmarkFigure3CreateRSS streams 256 MiB through Create in a child
// process (a fresh heap, so earlier benchmarks cannot hide growth) and
// reports its peak RSS growth over the part size.
func BenchmarkFigure3CreateRSS(b *testing.B) {
	for _, name := range []string{"s3"} {
		b.Run(name, func(b *testing.B) {
			u := testenv.StartS3(b).BucketURL(b, "bench")
			var worst int64
			for i := range b.N {
				cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.v")
				cmd.Env = append(os.Environ(),
					"CLOUDFS_RSS_URL="+u+"&prefix=rss/",
					"CLOUDFS_RSS_NAME="+fmt.Sprint("obj", i))
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
					b.Fatalf("child printed no rss-growth:\n%s", out)
				}
				worst = max(worst, growth)
			}
			b.ReportMetric(float64(worst)/(1<<20), "rss-growth-MiB")
			b.ReportMetric(float64(cloudfs.DefaultPartSize)/(1<<20), "part-MiB")
			b.ReportMetric(float64(worst)/cloudfs.DefaultPartSize, "x-part")
		})
	}
}

// TestRSSChild is the child of BenchmarkFigure3CreateRSS; it does nothing
// in a normal test run.
func TestRSSChild(t *testing.T) {
	u := os.Getenv("CLOUDFS_RSS_URL")
	if u == "" {
		t.Skip("run by BenchmarkFigure3CreateRSS")
	}
	const size = 256 << 20
	fsys, err := cloudfs.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	buf := bytes.Repeat([]byte("cloudfs!"), (1<<20)/8)
	// Warm up the client (connections, TLS-free HTTP, SDK caches) so the
	// measurement is of the write path.
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
	w, err := fsys.Create(os.Getenv("CLOUDFS_RSS_NAME"))
	if err != nil {
		t.Fatal(err)
	}
	for written := 0; written < size; written += len(buf) {
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
