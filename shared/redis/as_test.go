package redis_test

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/shared"
)

func asRedis(c *shared.Client) bool {
	var rdb *goredis.Client
	return c.As(&rdb) && rdb != nil
}

// scanCounter records the size of every HSCAN reply.
type scanCounter struct {
	mu      sync.Mutex
	batches []int
}

func (s *scanCounter) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (s *scanCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		if sc, ok := cmd.(*goredis.ScanCmd); ok && cmd.Name() == "hscan" {
			keys, _ := sc.Val()
			s.mu.Lock()
			s.batches = append(s.batches, len(keys)/2)
			s.mu.Unlock()
		}
		return err
	}
}

func (s *scanCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

func TestRangeStreamsInBatches(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{})
	c := openFunc(r)(t)
	ctx := context.Background()
	var rdb *goredis.Client
	if !c.As(&rdb) {
		t.Fatal("As(**redis.Client) = false")
	}
	hook := &scanCounter{}
	rdb.AddHook(hook)
	m := shared.NewMap[string, int](c, "big")
	const n = 5000
	kv := make(map[string]int, n)
	for i := range n {
		kv["k"+strconv.Itoa(i)] = i
	}
	if err := m.StoreMany(ctx, kv); err != nil {
		t.Fatal(err)
	}
	seen := 0
	if err := m.Range(ctx, func(string, int) bool { seen++; return true }); err != nil {
		t.Fatal(err)
	}
	if seen < n {
		t.Fatalf("Range visited %d entries, want at least %d", seen, n)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	largest := 0
	for _, b := range hook.batches {
		largest = max(largest, b)
	}
	if len(hook.batches) < 10 || largest > n/4 {
		t.Errorf("Range read %d entries in %d HSCAN batches (largest %d); want many small batches, not the whole map at once",
			n, len(hook.batches), largest)
	}
}
