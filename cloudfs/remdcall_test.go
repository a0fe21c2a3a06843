//go:build unix

package cloudfs_test

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/internal/testenv"
)

// TestRemdCallRequests counts, through the proxy of figure 1, the
// requests of what one remd call does on objectstore: read its input
// state, write its output state (a new directory a round), drop the state
// three rounds old. s3blob's Delete HEADs before its DELETE.
func TestRemdCallRequests(t *testing.T) {
	u, proxy := s3ViaProxy(t)
	fsys := openURL(t, u)
	cloudfs.SetWriteCheckTTL(fsys, time.Hour)
	const replicas, rounds = 8, 6
	key := func(r, rep int) string { return fmt.Sprintf("remd/run/r%06d/replica-%04d.json", r, rep) }
	for rep := range replicas {
		if err := fsys.WriteFile(key(0, rep), []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	var read, write, remove int64
	for r := 1; r <= rounds; r++ {
		for rep := range replicas {
			proxy.reset()
			if _, err := fsys.ReadFile(key(r-1, rep)); err != nil {
				t.Fatal(err)
			}
			read += proxy.requests.Load()
			proxy.reset()
			if err := fsys.WriteFile(key(r, rep), []byte("{}")); err != nil {
				t.Fatal(err)
			}
			write += proxy.requests.Load()
			if r >= 3 {
				proxy.reset()
				if err := fsys.Remove(key(r-3, rep)); err != nil {
					t.Fatal(err)
				}
				remove += proxy.requests.Load()
			}
		}
	}
	calls := float64(rounds * replicas)
	t.Logf("per remd call (%d replicas, %d rounds): ReadFile %.2f, WriteFile %.2f, Remove %.2f requests",
		replicas, rounds, float64(read)/calls, float64(write)/calls, float64(remove)/float64((rounds-2)*replicas))
	if read != int64(calls) {
		t.Errorf("ReadFile: %d requests for %.0f reads, want one each", read, calls)
	}
}

// BenchmarkRemdCall is one remd objectstore call (ReadFile, WriteFile of
// a 64 KiB state, Remove) on gofakes3, with the default URL and with the
// AWS SDK's checksums only where S3 requires them (gocloud's URL
// parameters), so their driver-side CPU shows in the ratio.
func BenchmarkRemdCall(b *testing.B) {
	base := testenv.StartS3(b).BucketURL(b, "remdcall")
	state := bytes.Repeat([]byte("0123456789abcdef"), 4<<10)
	for _, c := range []struct{ name, params string }{
		{"default", ""},
		{"checksums_when_required", "&request_checksum_calculation=when_required&response_checksum_validation=when_required"},
	} {
		b.Run(c.name, func(b *testing.B) {
			fsys := openURL(b, base+c.params)
			if err := fsys.WriteFile("remd/in.json", state); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu0 := processCPU()
			for i := 0; b.Loop(); i++ {
				if _, err := fsys.ReadFile("remd/in.json"); err != nil {
					b.Fatal(err)
				}
				name := fmt.Sprintf("remd/r%06d/replica-0000.json", i)
				if err := fsys.WriteFile(name, state); err != nil {
					b.Fatal(err)
				}
				if err := fsys.Remove(name); err != nil {
					b.Fatal(err)
				}
			}
			// This process's CPU: the driver's side (gofakes3 runs apart).
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
