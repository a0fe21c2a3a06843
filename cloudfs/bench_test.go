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
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"testing"
	"time"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/cloudfs/cloudfstest"
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
// process and reports its peak RSS growth over the part size.
func BenchmarkFigure3CreateRSS(b *testing.B) {
	for _, name := range []string{"s3", "gcs", "azure"} {
		b.Run(name, func(b *testing.B) { cloudfstest.BenchCreateRSS(b, benchServers1(b, name)) })
	}
}

// TestRSSChild is the benchmark's child; it skips in a normal test run.
func TestRSSChild(t *testing.T) { cloudfstest.RSSChild(t) }
