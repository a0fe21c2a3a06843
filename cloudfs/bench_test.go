package cloudfs_test

// The three figures, each measured against its baseline in the
// same run on real loopback servers:
//
//	go test -run '^$' -bench Figure -benchtime 3x ./cloudfs/
//
// Figure 1: reading 64 MiB through cloudfs vs blob.Bucket.NewReader
// (metric "x-blob", throughput ratio, want >= 0.95). Figure 2: fs.WalkDir
// over 10 000 objects in 100 prefixes vs one flat blob List of the same keys
// (metric "x-list", time ratio, want <= 1.2). Both time baseline and
// measured side in interleaved pairs and report the median of the pairs'
// ratios. Figure 3: peak RSS growth of Create + a 256 MiB streaming
// write, measured in a fresh child process (metric "x-part", want <= 2).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/cloudfs/cloudfstest"
	"github.com/burst-dev/burst/internal/testenv"
	"gocloud.dev/blob"
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

// Baseline and measured side are timed in interleaved pairs, each after a
// garbage collection, and a figure is the median of the pairs' ratios, so
// a burst of load from other processes spoils a pair, not the figure. The
// ratio of the two fastest times is reported too ("-best"): on a busy
// machine it is the closest to the uncontended cost. Pairs per benchmark
// iteration:
const (
	readPairs = 25 // figure 1: noise of ±40% per pair on a shared 2-core machine
	sidePairs = 5  // figure 1's side measurements
	walkPairs = 11 // figure 2
)

// pairTimer times interleaved pairs and keeps their ratios.
type pairTimer struct {
	base, meas       time.Duration
	minBase, minMeas time.Duration
	ratios           []float64
}

// pair times base and meas once each, alternating which goes first.
func (p *pairTimer) pair(base, meas func()) {
	timed := func(fn func()) time.Duration {
		t0 := time.Now()
		fn()
		return time.Since(t0)
	}
	var tb, tm time.Duration
	runtime.GC() // not inside a timed read: the 64 MiB reads make garbage
	if len(p.ratios)%2 == 0 {
		tb, tm = timed(base), timed(meas)
	} else {
		tm, tb = timed(meas), timed(base)
	}
	p.base += tb
	p.meas += tm
	if len(p.ratios) == 0 || tb < p.minBase {
		p.minBase = tb
	}
	if len(p.ratios) == 0 || tm < p.minMeas {
		p.minMeas = tm
	}
	p.ratios = append(p.ratios, tm.Seconds()/tb.Seconds())
}

// best is the ratio of the fastest measured to the fastest baseline time.
func (p *pairTimer) best() float64 { return p.minMeas.Seconds() / p.minBase.Seconds() }

// median is the median ratio of measured to baseline time.
func (p *pairTimer) median() float64 { return p.quantile(0.5) }

// quantile is the q-quantile of the pairs' ratios (nearest rank).
func (p *pairTimer) quantile(q float64) float64 {
	r := slices.Clone(p.ratios)
	slices.Sort(r)
	if len(r) == 0 {
		return 0
	}
	return r[int(q*float64(len(r)-1)+0.5)]
}

// spread describes the pairs' ratios for the log.
func (p *pairTimer) spread() string {
	return fmt.Sprintf("%d pairs, quartiles %.2f %.2f %.2f, range %.2f–%.2f",
		len(p.ratios), p.quantile(0.25), p.quantile(0.5), p.quantile(0.75), p.quantile(0), p.quantile(1))
}

// onlyReader and onlyWriter hide WriterTo and ReaderFrom, so io.CopyBuffer
// goes through Read.
type onlyReader struct{ io.Reader }
type onlyWriter struct{ io.Writer }

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
			buf := make([]byte, 32<<10)
			check := func(what string, n int64, err error) {
				if err != nil || n != size {
					b.Fatalf("%s read %d, %v; want %d", what, n, err, size)
				}
			}
			// io.Copy, the way programs read: WriteTo on both sides.
			viaBlob := func() {
				r, err := bucket.NewReader(ctx, "big.bin", nil)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, r)
				check("blob", n, err)
				r.Close()
			}
			var tOpen time.Duration
			viaFS := func() {
				t0 := time.Now()
				f, err := fsys.Open("big.bin")
				if err != nil {
					b.Fatal(err)
				}
				tOpen += time.Since(t0)
				n, err := io.Copy(io.Discard, f)
				check("cloudfs", n, err)
				f.Close()
			}
			// Read with a 32 KiB buffer, as a program's own loop would.
			readBlob := func() {
				r, err := bucket.NewReader(ctx, "big.bin", nil)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(onlyWriter{io.Discard}, onlyReader{r}, buf)
				check("blob Read", n, err)
				r.Close()
			}
			readFS := func() {
				f, err := fsys.Open("big.bin")
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.CopyBuffer(onlyWriter{io.Discard}, onlyReader{f}, buf)
				check("cloudfs Read", n, err)
				f.Close()
			}
			viaReadFile := func() {
				d, err := fs.ReadFile(fsys, "big.bin")
				check("ReadFile", int64(len(d)), err)
			}
			viaReadAll := func() {
				d, err := bucket.ReadAll(ctx, "big.bin")
				check("ReadAll", int64(len(d)), err)
			}
			var copyT, readT, fileT pairTimer
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				for range readPairs {
					copyT.pair(viaBlob, viaFS)
				}
				for range sidePairs {
					readT.pair(readBlob, readFS)
					fileT.pair(viaReadAll, viaReadFile)
				}
			}
			n := float64(b.N * readPairs)
			mbps := func(d time.Duration) float64 { return size * n / d.Seconds() / (1 << 20) }
			b.ReportMetric(mbps(copyT.base), "blob-MiB/s")
			b.ReportMetric(mbps(copyT.meas), "cloudfs-MiB/s")
			b.ReportMetric(1/copyT.median(), "x-blob")
			b.ReportMetric(1/copyT.best(), "x-blob-best")
			b.Logf("cloudfs/blob time ratios: %s", copyT.spread())
			b.ReportMetric(1/readT.median(), "read-x-blob")
			b.ReportMetric(1/fileT.median(), "readfile-x-readall")
			// Open's HEAD request, the one request cloudfs adds.
			b.ReportMetric(tOpen.Seconds()*1000/n, "open-ms")
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
			bucket := fsys.Bucket()
			// Straight to the bucket: WriteFile's directory check is a
			// listing, which costs fake-gcs-server a pass over all keys.
			// A small buffer: gcsblob's default is a 16 MiB chunk per write.
			wopts := &blob.WriterOptions{BufferSize: 256 << 10}
			var g errgroup.Group
			g.SetLimit(32)
			for p := range 100 {
				for i := range 100 {
					g.Go(func() error {
						return bucket.WriteAll(ctx, fmt.Sprintf("p%03d/f%03d.dat", p, i), []byte("x"), wopts)
					})
				}
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			list := func() {
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
				if n != 10000 {
					b.Fatalf("list %d, want 10000", n)
				}
			}
			walk := func() {
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
				if err != nil || m != 10000 {
					b.Fatalf("walk %d (%v), want 10000", m, err)
				}
			}
			var pt pairTimer
			b.ResetTimer()
			for range b.N {
				for range walkPairs {
					pt.pair(list, walk)
				}
			}
			n := float64(b.N * walkPairs)
			b.ReportMetric(pt.base.Seconds()*1000/n, "list-ms")
			b.ReportMetric(pt.meas.Seconds()*1000/n, "walk-ms")
			b.ReportMetric(pt.median(), "x-list")
			b.ReportMetric(pt.best(), "x-list-best")
			b.Logf("walk/list time ratios: %s", pt.spread())
		})
	}
}

// BenchmarkFigure3CreateRSS streams 256 MiB through Create in a child
// process and reports its peak RSS growth over the part size.
func BenchmarkFigure3CreateRSS(b *testing.B) {
	for _, name := range []string{"s3", "gcs", "azure"} {
		b.Run(name, func(b *testing.B) { cloudfstest.BenchCreateRSS(b, benchServers1(b, name)) })
	}
}

// TestRSSChild is the benchmark's child; it skips in a normal test run.
func TestRSSChild(t *testing.T) { cloudfstest.RSSChild(t) }
