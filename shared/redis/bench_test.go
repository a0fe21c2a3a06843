package redis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/shared"
)

// The figures of issue 4, each measured against raw go-redis on the same
// server in the same run. Run with:
//
//	go test -run '^$' -bench Figure -benchtime 3x ./shared/redis/
//
// (Figure 1 wants more iterations: -benchtime 20000x.)

func benchClients(b *testing.B) (*shared.Client, *goredis.Client) {
	r := testenv.StartRedis(b, testenv.RedisOptions{})
	c, err := shared.Open(context.Background(), r.URL(url.Values{"namespace": {"bench"}}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	raw := goredis.NewClient(&goredis.Options{Addr: r.Addr, PoolSize: 64})
	b.Cleanup(func() { raw.Close() })
	return c, raw
}

// Figure 1: Map.Store + Map.Load against HSET + HGET of the same bytes
// (the JSON encoding the Map stores), interleaved so both see the same
// machine state. Target: ratio ≤ 1.15.
func BenchmarkFigure1MapStoreLoad(b *testing.B) {
	ctx := context.Background()
	c, raw := benchClients(b)
	m := shared.NewMap[string, []byte](c, "fig1")
	val := make([]byte, 200)
	for i := range val {
		val[i] = byte(rand.IntN(256))
	}
	enc, _ := json.Marshal(val)
	key := "{bench}:raw:fig1"
	var rawD, sharedD time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := "k" + strconv.Itoa(i&1023)
		t0 := time.Now()
		if err := raw.HSet(ctx, key, f, enc).Err(); err != nil {
			b.Fatal(err)
		}
		if _, err := raw.HGet(ctx, key, f).Bytes(); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := m.Store(ctx, f, val); err != nil {
			b.Fatal(err)
		}
		if _, _, err := m.Load(ctx, f); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		rawD += t1.Sub(t0)
		sharedD += t2.Sub(t1)
	}
	b.ReportMetric(float64(rawD.Nanoseconds())/float64(b.N), "raw-ns/op")
	b.ReportMetric(float64(sharedD.Nanoseconds())/float64(b.N), "shared-ns/op")
	b.ReportMetric(float64(sharedD)/float64(rawD), "ratio")
}

// Figure 2: StoreMany + LoadMany of 10 000 entries against 10 000 Store and
// 10 000 Load calls. Target: speedup ≥ 20.
func BenchmarkFigure2StoreManyLoadMany(b *testing.B) {
	ctx := context.Background()
	c, _ := benchClients(b)
	m := shared.NewMap[string, int](c, "fig2")
	const n = 10000
	kv := make(map[string]int, n)
	keys := make([]string, 0, n)
	for i := range n {
		k := "k" + strconv.Itoa(i)
		kv[k] = i
		keys = append(keys, k)
	}
	var single, batch, storeMany time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		for _, k := range keys {
			if err := m.Store(ctx, k, kv[k]); err != nil {
				b.Fatal(err)
			}
		}
		for _, k := range keys {
			if _, _, err := m.Load(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		if err := m.StoreMany(ctx, kv); err != nil {
			b.Fatal(err)
		}
		tm := time.Now()
		got, err := m.LoadMany(ctx, keys)
		if err != nil || len(got) != n {
			b.Fatalf("LoadMany: %d entries, %v", len(got), err)
		}
		t2 := time.Now()
		single += t1.Sub(t0)
		batch += t2.Sub(t1)
		storeMany += tm.Sub(t1)
	}
	b.ReportMetric(float64(storeMany.Microseconds())/1000/float64(b.N), "storemany-ms/op")
	b.ReportMetric(float64(single.Milliseconds())/float64(b.N), "single-ms/op")
	b.ReportMetric(float64(batch.Microseconds())/1000/float64(b.N), "batch-ms/op")
	b.ReportMetric(float64(single)/float64(batch), "speedup")
}

const (
	fig3Items   = 4000 // per round
	fig3Rounds  = 5    // per iteration, each variant once per round
	fig3Workers = 4
	stopItem    = "stop"
)

// runQueue moves fig3Items items from fig3Workers producers to as many
// consumers and returns how long it took. Producers end with one stop item
// per consumer so nobody waits on a timeout at the end.
func runQueue(b *testing.B, put func(string) error, newGet func() func() (string, error)) time.Duration {
	var g sync.WaitGroup
	errs := make(chan error, 2*fig3Workers)
	start := time.Now()
	var prod sync.WaitGroup
	for p := range fig3Workers {
		prod.Go(func() {
			for i := range fig3Items / fig3Workers {
				if err := put(fmt.Sprintf("item-%d-%d", p, i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range fig3Workers {
		get := newGet()
		g.Go(func() {
			for {
				v, err := get()
				if err != nil {
					errs <- err
					return
				}
				if v == stopItem {
					return
				}
			}
		})
	}
	prod.Wait()
	for range fig3Workers {
		if err := put(stopItem); err != nil {
			b.Fatal(err)
		}
	}
	g.Wait()
	d := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return d
}

// Figure 3: queue throughput with 4 producers and 4 consumers against raw
// LPUSH / BLMOVE. Target: throughput ratio ≥ 0.7. Reported for Get, for
// Take + Ack (one more round trip per item than the baseline), and for the
// reliable consumer loop Take, AckAndTake, AckAndTake, ...
func BenchmarkFigure3QueueThroughput(b *testing.B) {
	ctx := context.Background()
	c, raw := benchClients(b)
	q := shared.NewQueue[string](c, "fig3")
	rawKey, rawDone := "{bench}:raw:fig3", "{bench}:raw:fig3:processing"
	var rawD, getD, takeD, nextD time.Duration
	b.ResetTimer()
	for i := 0; i < b.N*fig3Rounds; i++ {
		// Variants take turns in short rounds, so a noisy neighbour
		// slows all of them alike.
		rawD += runQueue(b,
			func(v string) error { return raw.LPush(ctx, rawKey, v).Err() },
			func() func() (string, error) {
				return func() (string, error) {
					return raw.BLMove(ctx, rawKey, rawDone, "RIGHT", "LEFT", 5*time.Second).Result()
				}
			})
		raw.Del(ctx, rawDone)
		getD += runQueue(b,
			func(v string) error { return q.Put(ctx, v) },
			func() func() (string, error) {
				return func() (string, error) { return q.Get(ctx) }
			})
		takeD += runQueue(b,
			func(v string) error { return q.Put(ctx, v) },
			func() func() (string, error) {
				return func() (string, error) {
					it, err := q.Take(ctx)
					if err != nil {
						return "", err
					}
					return it.Value, it.Ack(ctx)
				}
			})
		nextD += runQueue(b,
			func(v string) error { return q.Put(ctx, v) },
			func() func() (string, error) {
				// Each consumer acknowledges its item with the next take.
				var it *shared.Item[string]
				return func() (v string, err error) {
					if it == nil {
						it, err = q.Take(ctx)
					} else {
						it, err = it.AckAndTake(ctx)
					}
					if err != nil {
						return "", err
					}
					if it.Value == stopItem {
						return stopItem, it.Ack(ctx)
					}
					return it.Value, nil
				}
			})
	}
	perSec := func(d time.Duration) float64 { return float64(fig3Items*fig3Rounds*b.N) / d.Seconds() }
	b.ReportMetric(perSec(rawD), "raw-items/s")
	b.ReportMetric(perSec(getD), "get-items/s")
	b.ReportMetric(perSec(takeD), "take+ack-items/s")
	b.ReportMetric(perSec(getD)/perSec(rawD), "get-ratio")
	b.ReportMetric(perSec(takeD)/perSec(rawD), "take+ack-ratio")
	b.ReportMetric(perSec(nextD), "ackandtake-items/s")
	b.ReportMetric(perSec(nextD)/perSec(rawD), "ackandtake-ratio")
}
