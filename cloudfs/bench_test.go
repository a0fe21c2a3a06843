package cloudfs_test

// The three figures, each measured against its baseline in the
// same run on real loopback servers:
//
//	go test -run '^$' -bench Figure -benchtime 3x ./cloudfs/
//
// Figure 1: reading 64 MiB through cloudfs vs blob.Bucket.NewReader
// (metric "x-blob", want >= 0.95). Figure 2: fs.WalkDir over 10 000 objects
// in 100 prefixes vs one flat blob List of the same keys (metric "x-list",
// want <= 1.2). Figure 3: peak RSS growth of Create + a 256 MiB streaming
// write, measured in a fresh child process (metric "x-part", want <= 2).

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/internal/testenv"
	"golang.org/x/sync/errgroup"
)

func openBench(b *testing.B, u string) *cloudfs.FS {
	b.Helper()
	fsys, err := cloudfs.Open(context.Background(), u)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fsys.Close() })
	return fsys
}

func BenchmarkFigure1Read64MiB(b *testing.B) {
	const size = 64 << 20
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	for _, name := range []string{"s3", "gcs", "azure"} {
		b.Run(name, func(b *testing.B) {
			u := benchServers1(b, name)
			fsys := openBench(b, u)
			if err := fsys.WriteFile("big.bin", data); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			bucket := fsys.Bucket()
			var tBlob, tFS, tReadFile, tReadAll time.Duration
			b.SetBytes(size)
			b.ResetTimer()
			viaBlob := func() {
				r, err := bucket.NewReader(ctx, "big.bin", nil)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, r); err != nil || n != size {
					b.Fatalf("blob read %d, %v", n, err)
				}
				r.Close()
			}
			viaFS := func() {
				f, err := fsys.Open("big.bin")
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, f); err != nil || n != size {
					b.Fatalf("cloudfs read %d, %v", n, err)
				}
				f.Close()
			}
			viaReadFile := func() {
				if d, err := fs.ReadFile(fsys, "big.bin"); err != nil || len(d) != size {
					b.Fatalf("ReadFile %d, %v", len(d), err)
				}
			}
			viaReadAll := func() {
				if d, err := bucket.ReadAll(ctx, "big.bin"); err != nil || len(d) != size {
					b.Fatalf("ReadAll %d, %v", len(d), err)
				}
			}
			timed := func(fn func()) time.Duration {
				t0 := time.Now()
				fn()
				return time.Since(t0)
			}
			for i := range b.N {
				// Alternate the order, so neither side always runs on a
				// warmer (or busier) machine.
				if i%2 == 0 {
					tBlob += timed(viaBlob)
					tFS += timed(viaFS)
				} else {
					tFS += timed(viaFS)
					tBlob += timed(viaBlob)
				}
				tReadFile += timed(viaReadFile)
				tReadAll += timed(viaReadAll)
			}
			mbps := func(d time.Duration) float64 { return float64(size*b.N) / d.Seconds() / (1 << 20) }
			b.ReportMetric(mbps(tBlob), "blob-MiB/s")
			b.ReportMetric(mbps(tFS), "cloudfs-MiB/s")
			b.ReportMetric(mbps(tReadFile), "readfile-MiB/s")
			b.ReportMetric(tBlob.Seconds()/tFS.Seconds(), "x-blob")
			b.ReportMetric(tReadAll.Seconds()/tReadFile.Seconds(), "readfile-x-readall")
		})
	}
}

// benchServers1 starts one server by name.
func benchServers1(b *testing.B, name string) string {
	switch name {
	case "s3":
		return testenv.StartS3(b).BucketURL(b, "bench")
	case "gcs":
		return testenv.StartGCS(b).BucketURL(b, "bench")
	case "azure":
		return testenv.StartAzurite(b).BucketURL(b, "bench")
	}
	b.Fatalf("unknown server %q", name)
	return ""
}

func BenchmarkFigure2WalkDir10k(b *testing.B) {
	for _, name := range []string{"s3", "gcs", "azure"} {
		b.Run(name, func(b *testing.B) {
			u := benchServers1(b, name)
			fsys := openBench(b, u)
			ctx := context.Background()
			var g errgroup.Group
			g.SetLimit(32)
			for p := range 100 {
				for i := range 100 {
					g.Go(func() error {
						return fsys.WriteFile(fmt.Sprintf("p%03d/f%03d.dat", p, i), []byte("x"))
					})
				}
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			bucket := fsys.Bucket()
			var tList, tWalk time.Duration
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				n := 0
				it := bucket.List(nil)
				for {
					_, err := it.Next(ctx)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				t1 := time.Now()
				m := 0
				err := fs.WalkDir(fsys, ".", func(_ string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						m++
						if _, err := d.Info(); err != nil {
							return err
						}
					}
					return err
				})
				t2 := time.Now()
				if err != nil || n != 10000 || m != 10000 {
					b.Fatalf("list %d, walk %d (%v), want 10000", n, m, err)
				}
				tList += t1.Sub(t0)
				tWalk += t2.Sub(t1)
			}
			b.ReportMetric(float64(tList.Microseconds())/float64(b.N)/1000, "list-ms")
			b.ReportMetric(float64(tWalk.Microseconds())/float64(b.N)/1000, "walk-ms")
			b.ReportMetric(tWalk.Seconds()/tList.Seconds(), "x-list")
		})
	}
}

// BenchmarkFigure3CreateRSS streams 256 MiB through Create in a child
// process (a fresh heap, so earlier benchmarks cannot hide growth) and
// reports its peak RSS growth over the part size.
func BenchmarkFigure3CreateRSS(b *testing.B) {
	for _, name := range []string{"s3", "gcs", "azure"} {
		b.Run(name, func(b *testing.B) {
			u := benchServers1(b, name)
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
