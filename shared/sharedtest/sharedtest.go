// Package sharedtest is the conformance suite for shared drivers: the
// definition of what Map, Queue, Mutex, Counter, WaitGroup and Barrier do.
// Every driver's tests call Run with a function that opens a Client.
package sharedtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/shared"
)

// Open returns a Client on the store under test, in a namespace that no
// other test uses; the Client is closed by t's cleanup.
type Open func(t *testing.T) *shared.Client

// Run runs the whole suite as subtests of t.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		f    func(*testing.T, Open)
	}{
		{"Map/LoadOfMissingKey", testMapLoadMissing},
		{"Map/StoreThenLoad", testMapStoreLoad},
		{"Map/KeyTypes", testMapKeyTypes},
		{"Map/KeysRoundTripExactlyOrAreRefused", testMapKeysExact},
		{"Map/LoadOrStore", testMapLoadOrStore},
		{"Map/LoadAndDelete", testMapLoadAndDelete},
		{"Map/Delete", testMapDelete},
		{"Map/Swap", testMapSwap},
		{"Map/CompareAndSwap", testMapCompareAndSwap},
		{"Map/CompareAndDelete", testMapCompareAndDelete},
		{"Map/RangeVisitsEveryEntry", testMapRange},
		{"Map/RangeStopsWhenToldTo", testMapRangeStop},
		{"Map/LenAndClear", testMapLenClear},
		{"Map/LoadManyStoreMany", testMapMany},
		{"Map/ConcurrentCompareAndSwapCountsExactly", testMapConcurrentCAS},
		{"Map/UndecodableValueIsAClearErrorAndKept", testMapDecodeError},
		{"Map/OtherCodec", testMapCodec},
		{"Queue/FIFO", testQueueFIFO},
		{"Queue/GetWaitsForPut", testQueueGetWaits},
		{"Queue/SubSecondDeadline", testQueueDeadline},
		{"Queue/CancelledContext", testQueueCancel},
		{"Queue/EachItemToOneConsumer", testQueueConsumers},
		{"Queue/TakeAck", testQueueTakeAck},
		{"Queue/LeaseExpiryRedelivers", testQueueLeaseExpiry},
		{"Queue/ExtendKeepsLease", testQueueExtend},
		{"Queue/AckAndTake", testQueueAckAndTake},
		{"Queue/ReleaseRedeliversAtOnce", testQueueRelease},
		{"Queue/UndecodableItem", testQueueDecodeError},
		{"Mutex/LockUnlock", testMutexBasics},
		{"Mutex/UnlockOfOthersLockFails", testMutexUnlockOthers},
		{"Mutex/MutualExclusion", testMutexExclusion},
		{"Mutex/LeaseEndFreesLockAndFences", testMutexLease},
		{"Mutex/LockHonoursDeadline", testMutexDeadline},
		{"Counter/AddLoad", testCounter},
		{"WaitGroup/WaitForDone", testWaitGroup},
		{"WaitGroup/NegativeIsRefused", testWaitGroupNegative},
		{"Barrier/Rounds", testBarrier},
		{"Barrier/PartiesMismatch", testBarrierMismatch},
		{"Barrier/CancelWithdrawsArrival", testBarrierCancel},
		{"Client/NamespacesAreSeparateAndDropRemovesOne", testNamespaces},
		{"Client/ClosedClient", testClosed},
		{"Client/BadNames", testBadNames},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open) })
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type point struct {
	X, Y int
	Tag  string
}

func testMapLoadMissing(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, int](open(t), "m")
	v, ok, err := m.Load(ctx, "nope")
	if err != nil || ok || v != 0 {
		t.Fatalf("Load(missing) = %v, %v, %v; want 0, false, nil", v, ok, err)
	}
}

func testMapStoreLoad(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	m := shared.NewMap[string, point](c, "points")
	want := point{1, -2, "α"}
	must(t, m.Store(ctx, "a", want))
	got, ok, err := m.Load(ctx, "a")
	if err != nil || !ok || got != want {
		t.Fatalf("Load = %+v, %v, %v; want %+v, true, nil", got, ok, err, want)
	}
	must(t, m.Store(ctx, "a", point{Tag: "again"}))
	if got, _, _ := m.Load(ctx, "a"); got.Tag != "again" {
		t.Errorf("after second Store, Load = %+v, want Tag again", got)
	}
	// Bytes, including empty and nil, survive.
	b := shared.NewMap[string, []byte](c, "bytes")
	for _, in := range [][]byte{[]byte("x\x00y"), {}, nil} {
		must(t, b.Store(ctx, "k", in))
		got, ok, err := b.Load(ctx, "k")
		if err != nil || !ok || string(got) != string(in) {
			t.Errorf("[]byte %q: Load = %q, %v, %v", in, got, ok, err)
		}
	}
	// Values in an interface keep their type, in a Map and in a Queue.
	anys := shared.NewMap[string, any](c, "anys")
	must(t, anys.Store(ctx, "k", int64(1<<60+1)))
	if got, ok, err := anys.Load(ctx, "k"); got != any(int64(1<<60+1)) || !ok || err != nil {
		t.Errorf("any value: Load = %#v, %v, %v; want int64(1<<60+1)", got, ok, err)
	}
	q := shared.NewQueue[any](c, "anyq")
	must(t, q.PutMany(ctx, "x\xff", uint8(3)))
	for _, want := range []any{"x\xff", uint8(3)} {
		if got, err := q.Get(ctx); got != want || err != nil {
			t.Errorf("Queue[any]: Get = %#v, %v; want %#v", got, err, want)
		}
	}
}

type name string

func testMapKeyTypes(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	ints := shared.NewMap[int, string](c, "ints")
	must(t, ints.StoreMany(ctx, map[int]string{-1: "minus", 0: "zero", 42: "x"}))
	got := map[int]string{}
	must(t, ints.Range(ctx, func(k int, v string) bool { got[k] = v; return true }))
	if want := map[int]string{-1: "minus", 0: "zero", 42: "x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("int keys: Range got %v, want %v", got, want)
	}
	names := shared.NewMap[name, int](c, "names")
	must(t, names.Store(ctx, "bob", 1))
	if v, ok, err := names.Load(ctx, "bob"); v != 1 || !ok || err != nil {
		t.Errorf("named string key: Load = %v %v %v", v, ok, err)
	}
	type pair struct{ A, B int }
	pairs := shared.NewMap[pair, bool](c, "pairs")
	must(t, pairs.Store(ctx, pair{1, 2}, true))
	var keys []pair
	must(t, pairs.Range(ctx, func(k pair, _ bool) bool { keys = append(keys, k); return true }))
	if len(keys) != 1 || keys[0] != (pair{1, 2}) {
		t.Errorf("struct keys: Range got %v, want [{1 2}]", keys)
	}
}

// Keys that JSON would change: each must name its own field and come back
// from Range as it went in, or be refused; none may silently merge with
// another key (issue 13: a struct key holding a Latin-1 file name).
func testMapKeysExact(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	type file struct{ Dir, Name string }
	files := shared.NewMap[file, int](c, "files")
	want := map[file]int{
		{"/data", "caf\xe9.txt"}:         1, // Latin-1
		{"/data", "caf\xe8.txt"}:         2, // JSON turns both into caf\ufffd.txt
		{"/data", "caf\u00e9.txt"}:       3, // the UTF-8 spelling is another file
		{"/data", "plain.txt"}:           4,
		{"/d\xff", "plain.txt"}:          5,
		{"/data", "caf\ufffd.txt"}:       6, // what JSON made of the first two
		{"/data", "with\x00nul\x00.txt"}: 7,
	}
	for k, v := range want {
		must(t, files.Store(ctx, k, v))
	}
	for k, v := range want {
		if got, ok, err := files.Load(ctx, k); got != v || !ok || err != nil {
			t.Errorf("Load(%+q) = %v, %v, %v; want %v", k, got, ok, err, v)
		}
	}
	if n, err := files.Len(ctx); n != len(want) || err != nil {
		t.Errorf("Len = %d, %v; want %d (keys merged)", n, err, len(want))
	}
	got := map[file]int{}
	must(t, files.Range(ctx, func(k file, v int) bool { got[k] = v; return true }))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Range gave\n%#v\nwant\n%#v", got, want)
	}

	anys := shared.NewMap[any, string](c, "anys")
	wantAny := map[any]string{int64(1<<60 + 1): "int64", float64(1 << 60): "float64", int(7): "int", float64(7): "float", "s": "string"}
	must(t, anys.StoreMany(ctx, wantAny))
	gotAny := map[any]string{}
	must(t, anys.Range(ctx, func(k any, v string) bool { gotAny[k] = v; return true }))
	if !reflect.DeepEqual(gotAny, wantAny) {
		t.Errorf("interface keys: Range gave %v, want %v", gotAny, wantAny)
	}

	// Keys that would come back unequal whatever the encoding are refused,
	// and nothing is stored.
	ptrs := shared.NewMap[*int, int](c, "ptrs")
	if err := ptrs.Store(ctx, new(int), 1); !errors.Is(err, shared.ErrBadInput) || !strings.Contains(err.Error(), "*int") {
		t.Errorf("pointer key: Store = %v, want ErrBadInput naming the type", err)
	}
	floats := shared.NewMap[float64, int](c, "floats")
	if err := floats.Store(ctx, math.NaN(), 1); !errors.Is(err, shared.ErrBadInput) {
		t.Errorf("NaN key: Store = %v, want ErrBadInput", err)
	}
	must(t, floats.Store(ctx, math.Copysign(0, -1), 1))
	if v, ok, err := floats.Load(ctx, 0); v != 1 || !ok || err != nil {
		t.Errorf("-0 and 0 are one key, as in a Go map: Load(0) = %v, %v, %v", v, ok, err)
	}
	if n, err := ptrs.Len(ctx); n != 0 || err != nil {
		t.Errorf("a refused key stored something: Len = %d, %v", n, err)
	}
	if n, err := floats.Len(ctx); n != 1 || err != nil {
		t.Errorf("floats: Len = %d, %v; want 1 (NaN refused, -0 is 0)", n, err)
	}

	// Keys that JSON spells exactly keep their field, so maps written
	// before binary keys read as they did.
	must(t, shared.NewMap[string, int](c, "old").StoreMany(ctx, map[string]int{"42": 1, `{"A":1,"B":2}`: 2, "-7": 3}))
	type pair struct{ A, B int }
	if v, ok, err := shared.NewMap[int, int](c, "old").Load(ctx, 42); v != 1 || !ok || err != nil {
		t.Errorf("int key written as JSON: Load = %v, %v, %v", v, ok, err)
	}
	if v, ok, err := shared.NewMap[pair, int](c, "old").Load(ctx, pair{1, 2}); v != 2 || !ok || err != nil {
		t.Errorf("struct key written as JSON: Load = %v, %v, %v", v, ok, err)
	}
}

func testMapLoadOrStore(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, string](open(t), "m")
	a, loaded, err := m.LoadOrStore(ctx, "k", "first")
	if err != nil || loaded || a != "first" {
		t.Fatalf("first LoadOrStore = %q, %v, %v; want first, false, nil", a, loaded, err)
	}
	a, loaded, err = m.LoadOrStore(ctx, "k", "second")
	if err != nil || !loaded || a != "first" {
		t.Fatalf("second LoadOrStore = %q, %v, %v; want first, true, nil", a, loaded, err)
	}
}

func testMapLoadAndDelete(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, string](open(t), "m")
	must(t, m.Store(ctx, "k", "v"))
	v, loaded, err := m.LoadAndDelete(ctx, "k")
	if err != nil || !loaded || v != "v" {
		t.Fatalf("LoadAndDelete = %q, %v, %v; want v, true, nil", v, loaded, err)
	}
	v, loaded, err = m.LoadAndDelete(ctx, "k")
	if err != nil || loaded || v != "" {
		t.Fatalf("second LoadAndDelete = %q, %v, %v; want \"\", false, nil", v, loaded, err)
	}
}

func testMapDelete(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, string](open(t), "m")
	must(t, m.Store(ctx, "k", "v"))
	must(t, m.Delete(ctx, "k"))
	must(t, m.Delete(ctx, "k")) // deleting a missing key is fine
	if _, ok, _ := m.Load(ctx, "k"); ok {
		t.Error("Load after Delete found the key")
	}
}

func testMapSwap(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, int](open(t), "m")
	prev, loaded, err := m.Swap(ctx, "k", 1)
	if err != nil || loaded || prev != 0 {
		t.Fatalf("Swap on missing = %v, %v, %v; want 0, false, nil", prev, loaded, err)
	}
	prev, loaded, err = m.Swap(ctx, "k", 2)
	if err != nil || !loaded || prev != 1 {
		t.Fatalf("Swap = %v, %v, %v; want 1, true, nil", prev, loaded, err)
	}
	if v, _, _ := m.Load(ctx, "k"); v != 2 {
		t.Errorf("Load after Swap = %v, want 2", v)
	}
}

func testMapCompareAndSwap(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, point](open(t), "m")
	p1, p2 := point{1, 1, "a"}, point{2, 2, "b"}
	if ok, err := m.CompareAndSwap(ctx, "k", p1, p2); ok || err != nil {
		t.Fatalf("CompareAndSwap on missing key = %v, %v; want false, nil", ok, err)
	}
	must(t, m.Store(ctx, "k", p1))
	if ok, err := m.CompareAndSwap(ctx, "k", p2, p1); ok || err != nil {
		t.Fatalf("CompareAndSwap with wrong old = %v, %v; want false, nil", ok, err)
	}
	if ok, err := m.CompareAndSwap(ctx, "k", p1, p2); !ok || err != nil {
		t.Fatalf("CompareAndSwap with right old = %v, %v; want true, nil", ok, err)
	}
	if v, _, _ := m.Load(ctx, "k"); v != p2 {
		t.Errorf("Load after CompareAndSwap = %+v, want %+v", v, p2)
	}
}

func testMapCompareAndDelete(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, int](open(t), "m")
	if ok, err := m.CompareAndDelete(ctx, "k", 0); ok || err != nil {
		t.Fatalf("CompareAndDelete on missing key = %v, %v; want false, nil", ok, err)
	}
	must(t, m.Store(ctx, "k", 7))
	if ok, err := m.CompareAndDelete(ctx, "k", 8); ok || err != nil {
		t.Fatalf("CompareAndDelete with wrong old = %v, %v; want false, nil", ok, err)
	}
	if ok, err := m.CompareAndDelete(ctx, "k", 7); !ok || err != nil {
		t.Fatalf("CompareAndDelete with right old = %v, %v; want true, nil", ok, err)
	}
	if _, ok, _ := m.Load(ctx, "k"); ok {
		t.Error("key still there after CompareAndDelete")
	}
}

func testMapRange(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, int](open(t), "m")
	const n = 3000 // several HSCAN batches on Redis
	want := make(map[string]int, n)
	for i := range n {
		want["k"+strconv.Itoa(i)] = i
	}
	must(t, m.StoreMany(ctx, want))
	got := make(map[string]int, n)
	must(t, m.Range(ctx, func(k string, v int) bool { got[k] = v; return true }))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Range saw %d entries, want %d (or values differ)", len(got), len(want))
	}
	empty := shared.NewMap[string, int](open(t), "empty")
	calls := 0
	must(t, empty.Range(ctx, func(string, int) bool { calls++; return true }))
	if calls != 0 {
		t.Errorf("Range over an empty map called f %d times", calls)
	}
}

func testMapRangeStop(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[int, int](open(t), "m")
	kv := map[int]int{}
	for i := range 500 {
		kv[i] = i
	}
	must(t, m.StoreMany(ctx, kv))
	calls := 0
	must(t, m.Range(ctx, func(int, int) bool { calls++; return calls < 3 }))
	if calls != 3 {
		t.Errorf("Range called f %d times after it returned false on the 3rd; want 3", calls)
	}
}

func testMapLenClear(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	m := shared.NewMap[int, int](c, "m")
	other := shared.NewMap[int, int](c, "m:other")
	must(t, other.Store(ctx, 1, 1))
	for i := range 5 {
		must(t, m.Store(ctx, i, i))
	}
	if n, err := m.Len(ctx); n != 5 || err != nil {
		t.Fatalf("Len = %d, %v; want 5, nil", n, err)
	}
	must(t, m.Clear(ctx))
	if n, err := m.Len(ctx); n != 0 || err != nil {
		t.Fatalf("Len after Clear = %d, %v; want 0, nil", n, err)
	}
	if n, _ := other.Len(ctx); n != 1 {
		t.Errorf("Clear of map m also cleared map m:other (Len %d, want 1)", n)
	}
}

func testMapMany(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, point](open(t), "m")
	in := map[string]point{"a": {1, 2, "a"}, "b": {3, 4, "b"}, "": {}}
	must(t, m.StoreMany(ctx, in))
	got, err := m.LoadMany(ctx, []string{"a", "b", "", "missing"})
	must(t, err)
	if !reflect.DeepEqual(got, in) {
		t.Errorf("LoadMany = %v, want %v (missing keys absent)", got, in)
	}
	got, err = m.LoadMany(ctx, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("LoadMany(nil) = %v, %v; want empty, nil", got, err)
	}
	must(t, m.StoreMany(ctx, nil))
	must(t, m.DeleteMany(ctx, []string{"a", "", "missing"}))
	got, err = m.LoadMany(ctx, []string{"a", "b", ""})
	must(t, err)
	if want := map[string]point{"b": in["b"]}; !reflect.DeepEqual(got, want) {
		t.Errorf("after DeleteMany of a, \"\" and a missing key: LoadMany = %v, want %v", got, want)
	}
	must(t, m.DeleteMany(ctx, nil))
}

func testMapConcurrentCAS(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	m := shared.NewMap[string, int](c, "counter")
	must(t, m.Store(ctx, "n", 0))
	const workers, each = 8, 50
	var g sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		g.Go(func() {
			for range each {
				if err := CASIncrement(ctx, m, "n"); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	g.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v, _, _ := m.Load(ctx, "n"); v != workers*each {
		t.Errorf("after %d CAS increments the count is %d", workers*each, v)
	}
}

// CASIncrement adds one to m[k] (missing counts as 0) with a
// Load/CompareAndSwap loop.
func CASIncrement(ctx context.Context, m *shared.Map[string, int], k string) error {
	for {
		v, ok, err := m.Load(ctx, k)
		if err != nil {
			return err
		}
		if !ok {
			// CompareAndSwap never matches a missing key.
			if _, _, err := m.LoadOrStore(ctx, k, 0); err != nil {
				return err
			}
			continue
		}
		swapped, err := m.CompareAndSwap(ctx, k, v, v+1)
		if err != nil {
			return err
		}
		if swapped {
			return nil
		}
	}
}

func testMapDecodeError(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	must(t, shared.NewMap[string, string](c, "m").Store(ctx, "k", "not a number"))
	ints := shared.NewMap[string, int](c, "m")
	_, _, err := ints.Load(ctx, "k")
	var de *shared.DecodeError
	if !errors.Is(err, shared.ErrDecode) || !errors.As(err, &de) {
		t.Fatalf("Load of a string as int: err = %v; want a *DecodeError wrapping ErrDecode", err)
	}
	raw, _ := codec.Binary.Marshal("not a number") // what the default codec stored
	if string(de.Raw) != string(raw) || de.Key != "k" || de.Type != "int" || de.Codec != "bin" {
		t.Errorf("DecodeError = %+v; want raw bytes, key, type and codec", de)
	}
	if err := ints.Range(ctx, func(string, int) bool { return true }); !errors.Is(err, shared.ErrDecode) {
		t.Errorf("Range over an undecodable value: err = %v, want ErrDecode", err)
	}
	if _, err := ints.LoadMany(ctx, []string{"k"}); !errors.Is(err, shared.ErrDecode) {
		t.Errorf("LoadMany of an undecodable value: err = %v, want ErrDecode", err)
	}
	if v, ok, err := shared.NewMap[string, string](c, "m").Load(ctx, "k"); !ok || err != nil || v != "not a number" {
		t.Errorf("the undecodable value was not kept: %q %v %v", v, ok, err)
	}
}

func testMapCodec(t *testing.T, open Open) {
	ctx := ctxT(t)
	m := shared.NewMap[string, map[string]float64](open(t), "m", shared.WithCodec(codec.Gob))
	want := map[string]float64{"x": 1.5}
	must(t, m.Store(ctx, "k", want))
	got, ok, err := m.Load(ctx, "k")
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("gob Load = %v %v %v, want %v", got, ok, err, want)
	}
}

func testQueueFIFO(t *testing.T, open Open) {
	ctx := ctxT(t)
	q := shared.NewQueue[int](open(t), "q")
	must(t, q.Put(ctx, 1))
	must(t, q.PutMany(ctx, 2, 3, 4))
	if w, tk, err := q.Len(ctx); w != 4 || tk != 0 || err != nil {
		t.Fatalf("Len = %d, %d, %v; want 4, 0, nil", w, tk, err)
	}
	for want := 1; want <= 4; want++ {
		got, err := q.Get(ctx)
		if err != nil || got != want {
			t.Fatalf("Get = %v, %v; want %d", got, err, want)
		}
	}
}

func testQueueGetWaits(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	q := shared.NewQueue[string](c, "q")
	go func() {
		time.Sleep(50 * time.Millisecond)
		q.Put(ctx, "late")
	}()
	if got, err := q.Get(ctx); got != "late" || err != nil {
		t.Fatalf("Get = %q, %v; want late", got, err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		q.Put(ctx, "late2")
	}()
	it, err := q.Take(ctx)
	if err != nil || it.Value != "late2" {
		t.Fatalf("Take = %v, %v; want late2", it, err)
	}
	must(t, it.Ack(ctx))
}

func testQueueDeadline(t *testing.T, open Open) {
	q := shared.NewQueue[int](open(t), "q")
	for _, take := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		var err error
		if take {
			_, err = q.Take(ctx)
		} else {
			_, err = q.Get(ctx)
		}
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("take=%v: err = %v, want context.DeadlineExceeded", take, err)
		}
		// The contract under test: a 100 ms deadline is not rounded up to
		// a second, as go-redis does with blocking timeouts.
		if took > 900*time.Millisecond {
			t.Errorf("take=%v: a 100ms deadline returned after %v", take, took)
		}
	}
}

func testQueueCancel(t *testing.T, open Open) {
	q := shared.NewQueue[int](open(t), "q")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := q.Get(ctx); done <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Get did not return after its context was cancelled")
	}
}

func testQueueConsumers(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	q := shared.NewQueue[int](c, "q")
	const n, consumers = 400, 4
	var mu sync.Mutex
	seen := map[int]int{}
	var g sync.WaitGroup
	var got atomic.Int64
	gctx, stop := context.WithCancel(ctx)
	for i := range consumers {
		g.Go(func() {
			for {
				var v int
				var err error
				if i%2 == 0 {
					v, err = q.Get(gctx)
				} else {
					var it *shared.Item[int]
					it, err = q.Take(gctx)
					if err == nil {
						v = it.Value
						err = it.Ack(gctx)
					}
				}
				if err != nil {
					return
				}
				mu.Lock()
				seen[v]++
				mu.Unlock()
				if got.Add(1) == n {
					stop()
				}
			}
		})
	}
	for i := range n {
		must(t, q.Put(ctx, i))
	}
	g.Wait()
	stop()
	for i := range n {
		if seen[i] != 1 {
			t.Errorf("item %d delivered %d times, want 1", i, seen[i])
		}
	}
}

func testQueueTakeAck(t *testing.T, open Open) {
	ctx := ctxT(t)
	q := shared.NewQueue[string](open(t), "q")
	must(t, q.PutMany(ctx, "a", "b"))
	it, err := q.Take(ctx)
	if err != nil || it.Value != "a" {
		t.Fatalf("Take = %v, %v; want a", it, err)
	}
	if w, tk, _ := q.Len(ctx); w != 1 || tk != 1 {
		t.Errorf("Len while taken = %d waiting, %d taken; want 1, 1", w, tk)
	}
	must(t, it.Ack(ctx))
	if err := it.Ack(ctx); !errors.Is(err, shared.ErrLeaseExpired) {
		t.Errorf("second Ack: err = %v, want ErrLeaseExpired", err)
	}
	if w, tk, _ := q.Len(ctx); w != 1 || tk != 0 {
		t.Errorf("Len after Ack = %d, %d; want 1, 0", w, tk)
	}
}

func testQueueLeaseExpiry(t *testing.T, open Open) {
	ctx := ctxT(t)
	// The lease leaves ample slack over the 50 ms probe below, so a slow
	// machine cannot make the probe legitimately see a redelivery.
	q := shared.NewQueue[string](open(t), "q", shared.WithLease(400*time.Millisecond))
	must(t, q.Put(ctx, "job"))
	first, err := q.Take(ctx)
	must(t, err)
	// While leased, nobody else gets it.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if it, err := q.Take(short); err == nil {
		t.Fatalf("a second consumer took %q while the first lease was live", it.Value)
	}
	cancel()
	// The first consumer "dies"; after the lease the item comes back.
	second, err := q.Take(ctx)
	must(t, err)
	if second.Value != "job" || second.Token() == first.Token() {
		t.Fatalf("redelivery = %q token %s; want job with a new token (first %s)", second.Value, second.Token(), first.Token())
	}
	if err := first.Ack(ctx); !errors.Is(err, shared.ErrLeaseExpired) {
		t.Errorf("Ack by the consumer whose lease ended: err = %v, want ErrLeaseExpired", err)
	}
	must(t, second.Ack(ctx))
	if w, tk, _ := q.Len(ctx); w != 0 || tk != 0 {
		t.Errorf("Len after all acked = %d, %d; want 0, 0", w, tk)
	}
}

func testQueueExtend(t *testing.T, open Open) {
	ctx := ctxT(t)
	q := shared.NewQueue[int](open(t), "q", shared.WithLease(500*time.Millisecond))
	must(t, q.Put(ctx, 1))
	it, err := q.Take(ctx)
	must(t, err)
	for range 4 {
		time.Sleep(200 * time.Millisecond)
		must(t, it.Extend(ctx))
	}
	if w, tk, _ := q.Len(ctx); w != 0 || tk != 1 {
		t.Errorf("Len after extending past the original lease = %d, %d; want 0 waiting, 1 taken", w, tk)
	}
	must(t, it.Ack(ctx))
}

func testQueueRelease(t *testing.T, open Open) {
	ctx := ctxT(t)
	q := shared.NewQueue[int](open(t), "q")
	must(t, q.PutMany(ctx, 1, 2))
	it, err := q.Take(ctx)
	must(t, err)
	must(t, it.Release(ctx))
	if err := it.Ack(ctx); !errors.Is(err, shared.ErrLeaseExpired) {
		t.Errorf("Ack after Release: err = %v, want ErrLeaseExpired", err)
	}
	if v, err := q.Get(ctx); v != 1 || err != nil {
		t.Errorf("Get after Release = %v, %v; want the released item 1 first", v, err)
	}
}

func testQueueDecodeError(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	must(t, shared.NewQueue[string](c, "q").PutMany(ctx, "x", "y"))
	q := shared.NewQueue[int](c, "q")
	_, err := q.Get(ctx)
	var de *shared.DecodeError
	raw, _ := codec.Binary.Marshal("x") // what the default codec stored
	if !errors.As(err, &de) || !errors.Is(err, shared.ErrDecode) || string(de.Raw) != string(raw) {
		t.Fatalf("Get of an undecodable item: err = %v; want *DecodeError with Raw %q", err, raw)
	}
	it, err := q.Take(ctx)
	if !errors.Is(err, shared.ErrDecode) || it == nil {
		t.Fatalf("Take of an undecodable item = %v, %v; want the item and ErrDecode", it, err)
	}
	must(t, it.Ack(ctx))
}

func testMutexBasics(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	a, b := shared.NewMutex(c, "mu"), shared.NewMutex(c, "mu")
	if err := a.Unlock(ctx); !errors.Is(err, shared.ErrNotHeld) {
		t.Errorf("Unlock of a never-locked mutex: err = %v, want ErrNotHeld", err)
	}
	must(t, a.Lock(ctx))
	t1 := a.Token()
	if ok, err := b.TryLock(ctx); ok || err != nil {
		t.Fatalf("TryLock while held = %v, %v; want false, nil", ok, err)
	}
	must(t, a.Unlock(ctx))
	if a.Token() != 0 {
		t.Errorf("Token after Unlock = %d, want 0", a.Token())
	}
	if ok, err := b.TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock after Unlock = %v, %v; want true, nil", ok, err)
	}
	if t2 := b.Token(); t2 <= t1 {
		t.Errorf("fencing tokens %d then %d; want increasing", t1, t2)
	}
	must(t, b.Extend(ctx))
	must(t, b.Unlock(ctx))
	if err := b.Unlock(ctx); !errors.Is(err, shared.ErrNotHeld) {
		t.Errorf("second Unlock: err = %v, want ErrNotHeld", err)
	}
}

func testMutexUnlockOthers(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	a, b := shared.NewMutex(c, "mu"), shared.NewMutex(c, "mu")
	must(t, a.Lock(ctx))
	if err := b.Unlock(ctx); !errors.Is(err, shared.ErrNotHeld) {
		t.Errorf("Unlock through a handle that does not hold the lock: err = %v, want ErrNotHeld", err)
	}
	if ok, _ := b.TryLock(ctx); ok {
		t.Error("the lock was released by a handle that did not hold it")
	}
	must(t, a.Unlock(ctx))
}

func testMutexExclusion(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	m := shared.NewMap[string, int](c, "m")
	const workers, each = 4, 15
	var g sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		mu := shared.NewMutex(c, "mu")
		g.Go(func() {
			for range each {
				err := func() error {
					if err := mu.Lock(ctx); err != nil {
						return err
					}
					defer mu.Unlock(ctx)
					// Read-modify-write that loses updates without the lock.
					v, _, err := m.Load(ctx, "n")
					if err != nil {
						return err
					}
					return m.Store(ctx, "n", v+1)
				}()
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	g.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v, _, _ := m.Load(ctx, "n"); v != workers*each {
		t.Errorf("count under the mutex = %d, want %d", v, workers*each)
	}
}

func testMutexLease(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	dead := shared.NewMutex(c, "mu", shared.WithLease(100*time.Millisecond))
	must(t, dead.Lock(ctx))
	old := dead.Token()
	// The holder "dies"; another takes the lock once the lease ends.
	next := shared.NewMutex(c, "mu")
	must(t, next.Lock(ctx))
	if next.Token() <= old {
		t.Errorf("token after lease end %d, want > %d", next.Token(), old)
	}
	if err := dead.Unlock(ctx); !errors.Is(err, shared.ErrNotHeld) {
		t.Errorf("Unlock by the holder whose lease ended: err = %v, want ErrNotHeld", err)
	}
	if ok, _ := shared.NewMutex(c, "mu").TryLock(ctx); ok {
		t.Error("stale Unlock released the new holder's lock")
	}
	must(t, next.Unlock(ctx))
}

func testMutexDeadline(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	a := shared.NewMutex(c, "mu")
	must(t, a.Lock(ctx))
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := shared.NewMutex(c, "mu").Lock(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock of a held mutex with a deadline: err = %v, want DeadlineExceeded", err)
	}
	must(t, a.Unlock(ctx))
}

func testCounter(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	n := shared.NewCounter(c, "n")
	if v, err := n.Load(ctx); v != 0 || err != nil {
		t.Fatalf("Load of a new counter = %d, %v; want 0", v, err)
	}
	var g sync.WaitGroup
	for range 4 {
		g.Go(func() {
			for range 25 {
				n.Add(ctx, 2)
			}
		})
	}
	g.Wait()
	if v, err := n.Add(ctx, -200); v != 0 || err != nil {
		t.Errorf("Add(-200) after 100 Add(2) = %d, %v; want 0", v, err)
	}
	if v, _ := n.Add(ctx, -5); v != -5 {
		t.Errorf("a Counter may go negative: got %d, want -5", v)
	}
}

func testWaitGroup(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	wg := shared.NewWaitGroup(c, "wg")
	must(t, wg.Wait(ctx)) // zero: returns at once
	must(t, wg.Add(ctx, 3))
	var done atomic.Int32
	for range 3 {
		go func() {
			time.Sleep(30 * time.Millisecond)
			done.Add(1)
			shared.NewWaitGroup(c, "wg").Done(ctx)
		}()
	}
	must(t, wg.Wait(ctx))
	if d := done.Load(); d != 3 {
		t.Errorf("Wait returned after %d of 3 Done calls", d)
	}
	must(t, wg.Add(ctx, 1))
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := wg.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with count 1: err = %v, want DeadlineExceeded", err)
	}
}

func testWaitGroupNegative(t *testing.T, open Open) {
	ctx := ctxT(t)
	wg := shared.NewWaitGroup(open(t), "wg")
	must(t, wg.Add(ctx, 1))
	if err := wg.Add(ctx, -2); !errors.Is(err, shared.ErrNegative) {
		t.Errorf("Add(-2) with count 1: err = %v, want ErrNegative", err)
	}
	if n, _ := wg.Count(ctx); n != 1 {
		t.Errorf("count after refused Add = %d, want 1 (unchanged)", n)
	}
}

func testBarrier(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	const parties, rounds = 3, 3
	var mu sync.Mutex
	var log []string
	var g sync.WaitGroup
	errs := make(chan error, parties)
	for p := range parties {
		b := shared.NewBarrier(c, "b", parties)
		g.Go(func() {
			for r := range rounds {
				mu.Lock()
				log = append(log, fmt.Sprintf("%d-arrive-%d", r, p))
				mu.Unlock()
				if err := b.Wait(ctx); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				log = append(log, fmt.Sprintf("%d-leave-%d", r, p))
				mu.Unlock()
			}
		})
	}
	g.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Every arrival of round r precedes every departure of round r.
	for r := range rounds {
		lastArrive, firstLeave := -1, len(log)
		for i, e := range log {
			var rr, p int
			var what string
			fmt.Sscanf(e, "%d-%5s-%d", &rr, &what, &p)
			if rr != r {
				continue
			}
			if what == "arriv" && i > lastArrive {
				lastArrive = i
			}
			if what == "leave" && i < firstLeave {
				firstLeave = i
			}
		}
		if lastArrive > firstLeave {
			t.Errorf("round %d: a party left before all arrived: %v", r, log)
		}
	}
}

func testBarrierMismatch(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	shared.NewBarrier(c, "b", 2).Wait(short) // arrives, times out, withdraws
	if err := shared.NewBarrier(c, "b", 3).Wait(ctx); !errors.Is(err, shared.ErrMismatch) {
		t.Errorf("Wait with 3 parties on a 2-party barrier: err = %v, want ErrMismatch", err)
	}
	if err := shared.NewBarrier(c, "b0", 0).Wait(ctx); !errors.Is(err, shared.ErrBadInput) {
		t.Errorf("NewBarrier(0 parties).Wait: err = %v, want ErrBadInput", err)
	}
}

func testBarrierCancel(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	b := shared.NewBarrier(c, "b", 2)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := b.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lone Wait: err = %v, want DeadlineExceeded", err)
	}
	// The withdrawn arrival does not count: one more party alone must not
	// pass, two together must.
	short2, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if err := b.Wait(short2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lone Wait passed the barrier (err = %v); the withdrawn arrival still counted", err)
	}
	var g sync.WaitGroup
	var errs [2]error
	for i := range 2 {
		g.Go(func() { errs[i] = shared.NewBarrier(c, "b", 2).Wait(ctx) })
	}
	g.Wait()
	for _, err := range errs {
		must(t, err)
	}
}

func testNamespaces(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	other, err := c.WithNamespace(c.Namespace() + "-other")
	must(t, err)
	t.Cleanup(func() { c.Drop(context.Background(), other.Namespace()) })
	a, b := shared.NewMap[string, int](c, "m"), shared.NewMap[string, int](other, "m")
	must(t, a.Store(ctx, "k", 1))
	must(t, b.Store(ctx, "k", 2))
	qa := shared.NewQueue[int](other, "q")
	must(t, qa.Put(ctx, 1))
	if v, _, _ := a.Load(ctx, "k"); v != 1 {
		t.Errorf("namespace %s sees %d, want its own 1", c.Namespace(), v)
	}
	must(t, c.Drop(ctx, other.Namespace()))
	if _, ok, _ := b.Load(ctx, "k"); ok {
		t.Error("Drop left a map entry in the dropped namespace")
	}
	if w, _, _ := qa.Len(ctx); w != 0 {
		t.Errorf("Drop left %d queue items in the dropped namespace", w)
	}
	if v, ok, _ := a.Load(ctx, "k"); !ok || v != 1 {
		t.Error("Drop of one namespace removed another's keys")
	}
	if _, err := c.WithNamespace("bad namespace*"); !errors.Is(err, shared.ErrBadInput) {
		t.Errorf("WithNamespace(bad): err = %v, want ErrBadInput", err)
	}
	if err := c.Drop(ctx, ""); !errors.Is(err, shared.ErrBadInput) {
		t.Errorf("Drop(\"\"): err = %v, want ErrBadInput", err)
	}
}

func testClosed(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	must(t, c.Close())
	must(t, c.Close()) // twice is fine
	checks := map[string]error{}
	_, _, checks["Map.Load"] = shared.NewMap[string, int](c, "m").Load(ctx, "k")
	checks["Queue.Put"] = shared.NewQueue[int](c, "q").Put(ctx, 1)
	checks["Mutex.Lock"] = shared.NewMutex(c, "mu").Lock(ctx)
	_, checks["Counter.Add"] = shared.NewCounter(c, "n").Add(ctx, 1)
	checks["Drop"] = c.Drop(ctx, "x")
	names := make([]string, 0, len(checks))
	for k := range checks {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !errors.Is(checks[k], shared.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", k, checks[k])
		}
	}
}

func testBadNames(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	checks := map[string]error{}
	_, _, checks["NewMap(\"\")"] = shared.NewMap[string, int](c, "").Load(ctx, "k")
	checks["NewQueue(nul)"] = shared.NewQueue[int](c, "a\x00b").Put(ctx, 1)
	checks["NewMutex(\"\")"] = shared.NewMutex(c, "").Lock(ctx)
	checks["WithLease(0)"] = shared.NewMutex(c, "mu", shared.WithLease(0)).Lock(ctx)
	checks["WithCodec(nil)"] = shared.NewQueue[int](c, "q", shared.WithCodec(nil)).Put(ctx, 1)
	checks["unencodable value"] = shared.NewMap[string, func()](c, "m").Store(ctx, "k", func() {})
	for k, err := range checks {
		if !errors.Is(err, shared.ErrBadInput) {
			t.Errorf("%s: err = %v, want ErrBadInput", k, err)
		}
	}
}

func testQueueAckAndTake(t *testing.T, open Open) {
	ctx := ctxT(t)
	c := open(t)
	q := shared.NewQueue[int](c, "q")
	must(t, q.PutMany(ctx, 1, 2, 3))
	it, err := q.Take(ctx)
	must(t, err)
	for want := 2; want <= 3; want++ {
		it, err = it.AckAndTake(ctx)
		if err != nil || it.Value != want {
			t.Fatalf("AckAndTake = %v, %v; want %d", it, err, want)
		}
		if w, tk, _ := q.Len(ctx); w != 3-want || tk != 1 {
			t.Errorf("Len after AckAndTake = %d, %d; want %d waiting, 1 taken", w, tk, 3-want)
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := it.AckAndTake(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("AckAndTake on an empty queue: err = %v, want DeadlineExceeded", err)
	}
	if w, tk, _ := q.Len(ctx); w != 0 || tk != 0 {
		t.Errorf("Len after the last AckAndTake timed out = %d, %d; want 0, 0 (acknowledged)", w, tk)
	}
	// A lease that ended and was handed to another consumer: nothing is
	// acknowledged and nothing taken.
	// (Same queue, through a handle whose Takes lease for 100 ms.)
	short100 := shared.NewQueue[int](c, "q", shared.WithLease(100*time.Millisecond))
	must(t, q.PutMany(ctx, 4, 5))
	it, err = short100.Take(ctx)
	must(t, err)
	time.Sleep(150 * time.Millisecond)
	again, err := q.Take(ctx)
	if err != nil || again.Value != 4 {
		t.Fatalf("Take after the lease ended = %v, %v; want 4 again", again, err)
	}
	if got, err := it.AckAndTake(ctx); !errors.Is(err, shared.ErrLeaseExpired) {
		t.Errorf("AckAndTake after the lease ended = %v, %v; want ErrLeaseExpired", got, err)
	}
	if w, tk, _ := q.Len(ctx); w != 1 || tk != 1 {
		t.Errorf("Len after a refused AckAndTake = %d, %d; want 1 waiting, 1 taken", w, tk)
	}
}
