package cloudfs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/burst-dev/burst/cloudfs"
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
