package shared

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/burst-dev/burst/codec"
)

// Map is a map shared through a Client, with the verbs of sync.Map plus a
// context and an error. In Redis it is one hash; each call is one round
// trip and atomic.
//
// Keys of a string kind are stored as they are, bytes and all; other keys
// as their JSON text when it decodes back to an equal key, else in binary,
// so that every key names one field and Range gives it back exactly. Keys
// that come back unequal whatever the encoding (pointers, NaN, times with a
// monotonic reading) are refused with ErrBadInput. Values are encoded with the Map's codec, and
// CompareAndSwap/CompareAndDelete compare the encodings: two values are
// equal when they encode to the same bytes.
type Map[K comparable, V any] struct {
	c    *Client
	name string
	key  string
	opt  options
	err  error // from construction, reported by every call
}

// NewMap returns the Map called name in c's namespace. Processes that use
// the same name (and namespace) share it. Options: WithCodec.
func NewMap[K comparable, V any](c *Client, name string, opts ...Option) *Map[K, V] {
	o, err := buildOptions(time.Second, opts)
	if err != nil {
		err = fmt.Errorf("shared: NewMap %q: %w", name, err)
	} else {
		err = checkName("NewMap", name)
	}
	return &Map[K, V]{c: c, name: name, key: c.key('m', name), opt: o, err: err}
}

func (m *Map[K, V]) fail(op string, err error) error {
	return fmt.Errorf("shared: map %q %s: %w", m.name, op, err)
}

func (m *Map[K, V]) ready() error {
	if m.err != nil {
		return m.err
	}
	return m.c.check()
}

// binaryKey starts a field that holds a key's binary encoding. No JSON text
// starts with a NUL byte, so the two spellings never collide, and fields
// written before binary keys existed read as they did.
const binaryKey = "\x00"

// field is the hash field that stands for k. A key is stored as its JSON
// text when that comes back equal (==) to k, which keeps the usual keys
// (integers, plain structs) readable in redis-cli and keeps fields written
// by earlier versions; otherwise (a string that is not UTF-8, an int64 in an
// interface, a zoned time) as its binary encoding, which does come back
// equal. A key that neither does (a pointer, a time with a monotonic
// reading, a NaN) is refused: stored, it would be a field that no later
// Load, and no other process, could name again.
func (m *Map[K, V]) field(k K) (string, error) {
	rv := reflect.ValueOf(&k).Elem() // K's kind, not that of a value in an interface K
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil // as JSON spells it
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), nil
	case reflect.Float32, reflect.Float64:
		if rv.Float() == 0 {
			return "0", nil // -0 is the same map key as 0
		}
	}
	var back K
	b, jerr := json.Marshal(k)
	if jerr == nil && json.Unmarshal(b, &back) == nil && sameKey(k, back) {
		return string(b), nil
	}
	back = *new(K)
	bb, err := codec.Binary.Marshal(&k) // &k: the codec sees K, not the type of a value in an interface K
	if err == nil {
		if err = codec.Binary.Unmarshal(bb, &back); err == nil && !sameKey(k, back) {
			err = errors.New("it would not come back equal (==) from its encoding")
		}
	}
	if err != nil {
		return "", fmt.Errorf("%w: key %#v of type %s cannot name a field that another process finds again: %v "+
			"(keys are compared by value: strings, numbers but NaN, bools, arrays and structs of those; "+
			"not pointers, channels or times with a monotonic reading)", ErrBadInput, k, reflect.TypeFor[K](), err)
	}
	return binaryKey + string(bb), nil
}

// sameKey is a == b, false where == would panic (an interface key holding
// a slice).
func sameKey[K comparable](a, b K) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

func (m *Map[K, V]) parseField(f string) (K, error) {
	var k K
	if p, ok := any(&k).(*string); ok {
		*p = f
		return k, nil
	}
	rv := reflect.ValueOf(&k).Elem()
	if rv.Kind() == reflect.String {
		rv.SetString(f)
		return k, nil
	}
	c, raw := codec.JSON, f
	if strings.HasPrefix(f, binaryKey) {
		c, raw = codec.Binary, f[len(binaryKey):]
	}
	if err := c.Unmarshal([]byte(raw), &k); err != nil {
		return k, &DecodeError{Object: fmt.Sprintf("map %q", m.name), Key: f, Codec: c.Name() + " (keys)",
			Type: reflect.TypeFor[K]().String(), Raw: []byte(f), Err: err}
	}
	return k, nil
}

func (m *Map[K, V]) encode(v V) ([]byte, error) {
	b, err := m.opt.codec.Marshal(&v) // a pointer, so an interface V keeps its static type
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func (m *Map[K, V]) decode(field string, b []byte) (V, error) {
	var v V
	if err := m.opt.codec.Unmarshal(b, &v); err != nil {
		return v, &DecodeError{Object: fmt.Sprintf("map %q", m.name), Key: field, Codec: m.opt.codec.Name(),
			Type: reflect.TypeFor[V]().String(), Raw: b, Err: err}
	}
	return v, nil
}

// Load returns the value stored for k; ok reports whether there was one.
func (m *Map[K, V]) Load(ctx context.Context, k K) (v V, ok bool, err error) {
	if err := m.ready(); err != nil {
		return v, false, m.fail("Load", err)
	}
	f, err := m.field(k)
	if err != nil {
		return v, false, m.fail("Load", err)
	}
	b, ok, err := m.c.conn.MapLoad(ctx, m.key, f)
	if err != nil || !ok {
		return v, false, wrapIf(m.fail, "Load", err)
	}
	v, err = m.decode(f, b)
	return v, err == nil, err
}

func wrapIf(fail func(string, error) error, op string, err error) error {
	if err == nil {
		return nil
	}
	return fail(op, err)
}

// Store sets the value for k.
func (m *Map[K, V]) Store(ctx context.Context, k K, v V) error {
	f, b, err := m.fieldValue("Store", k, v)
	if err != nil {
		return err
	}
	return wrapIf(m.fail, "Store", m.c.conn.MapStore(ctx, m.key, []string{f}, [][]byte{b}))
}

func (m *Map[K, V]) fieldValue(op string, k K, v V) (string, []byte, error) {
	if err := m.ready(); err != nil {
		return "", nil, m.fail(op, err)
	}
	f, err := m.field(k)
	if err != nil {
		return "", nil, m.fail(op, err)
	}
	b, err := m.encode(v)
	if err != nil {
		return "", nil, m.fail(op, err)
	}
	return f, b, nil
}

// LoadOrStore returns the existing value for k if present (loaded true);
// otherwise it stores v and returns it.
func (m *Map[K, V]) LoadOrStore(ctx context.Context, k K, v V) (actual V, loaded bool, err error) {
	f, b, err := m.fieldValue("LoadOrStore", k, v)
	if err != nil {
		return actual, false, err
	}
	got, loaded, err := m.c.conn.MapLoadOrStore(ctx, m.key, f, b)
	if err != nil {
		return actual, false, m.fail("LoadOrStore", err)
	}
	if !loaded {
		return v, false, nil
	}
	actual, err = m.decode(f, got)
	return actual, true, err
}

// LoadAndDelete deletes the value for k, returning the previous value if
// any (loaded true). If the previous value cannot be decoded it is deleted
// anyway and its bytes are in the *DecodeError.
func (m *Map[K, V]) LoadAndDelete(ctx context.Context, k K) (v V, loaded bool, err error) {
	if err := m.ready(); err != nil {
		return v, false, m.fail("LoadAndDelete", err)
	}
	f, err := m.field(k)
	if err != nil {
		return v, false, m.fail("LoadAndDelete", err)
	}
	b, loaded, err := m.c.conn.MapLoadAndDelete(ctx, m.key, f)
	if err != nil || !loaded {
		return v, false, wrapIf(m.fail, "LoadAndDelete", err)
	}
	v, err = m.decode(f, b)
	return v, true, err
}

// Delete deletes the value for k.
func (m *Map[K, V]) Delete(ctx context.Context, k K) error {
	if err := m.ready(); err != nil {
		return m.fail("Delete", err)
	}
	f, err := m.field(k)
	if err != nil {
		return m.fail("Delete", err)
	}
	return wrapIf(m.fail, "Delete", m.c.conn.MapDelete(ctx, m.key, []string{f}))
}

// DeleteMany deletes the values for keys in one round trip (Redis: one
// HDEL); keys without a value are no error.
func (m *Map[K, V]) DeleteMany(ctx context.Context, keys []K) error {
	if err := m.ready(); err != nil {
		return m.fail("DeleteMany", err)
	}
	if len(keys) == 0 {
		return nil
	}
	fields := make([]string, len(keys))
	for i, k := range keys {
		f, err := m.field(k)
		if err != nil {
			return m.fail("DeleteMany", err)
		}
		fields[i] = f
	}
	return wrapIf(m.fail, "DeleteMany", m.c.conn.MapDelete(ctx, m.key, fields))
}

// Swap stores v for k and returns the previous value if any (loaded true).
func (m *Map[K, V]) Swap(ctx context.Context, k K, v V) (prev V, loaded bool, err error) {
	f, b, err := m.fieldValue("Swap", k, v)
	if err != nil {
		return prev, false, err
	}
	got, loaded, err := m.c.conn.MapSwap(ctx, m.key, f, b)
	if err != nil || !loaded {
		return prev, false, wrapIf(m.fail, "Swap", err)
	}
	prev, err = m.decode(f, got)
	return prev, true, err
}

// CompareAndSwap stores new for k if the stored value equals old (encodes
// to the same bytes). A missing key never matches.
func (m *Map[K, V]) CompareAndSwap(ctx context.Context, k K, old, new V) (swapped bool, err error) {
	f, ob, err := m.fieldValue("CompareAndSwap", k, old)
	if err != nil {
		return false, err
	}
	nb, err := m.encode(new)
	if err != nil {
		return false, m.fail("CompareAndSwap", err)
	}
	ok, err := m.c.conn.MapCompareAndSwap(ctx, m.key, f, ob, nb)
	return ok, wrapIf(m.fail, "CompareAndSwap", err)
}

// CompareAndDelete deletes k if its stored value equals old.
func (m *Map[K, V]) CompareAndDelete(ctx context.Context, k K, old V) (deleted bool, err error) {
	f, ob, err := m.fieldValue("CompareAndDelete", k, old)
	if err != nil {
		return false, err
	}
	ok, err := m.c.conn.MapCompareAndDelete(ctx, m.key, f, ob)
	return ok, wrapIf(m.fail, "CompareAndDelete", err)
}

// rangeBatch is how many entries Range asks for per round trip.
const rangeBatch = 256

// Range calls f for each entry until f returns false. It reads the map in
// batches (HSCAN on Redis), so a map of any size costs little memory. Like
// sync.Map.Range it is not a snapshot: an entry present for the whole call
// is visited, entries added or deleted meanwhile may or may not be; on
// Redis an entry may be visited twice if the hash is resized meanwhile.
// A value that cannot be decoded stops Range with a *DecodeError.
func (m *Map[K, V]) Range(ctx context.Context, f func(k K, v V) bool) error {
	if err := m.ready(); err != nil {
		return m.fail("Range", err)
	}
	var cursor uint64
	for {
		fields, vals, next, err := m.c.conn.MapScan(ctx, m.key, cursor, rangeBatch)
		if err != nil {
			return m.fail("Range", err)
		}
		for i, field := range fields {
			k, err := m.parseField(field)
			if err != nil {
				return err
			}
			v, err := m.decode(field, vals[i])
			if err != nil {
				return err
			}
			if !f(k, v) {
				return nil
			}
		}
		if next == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return m.fail("Range", err)
		}
		cursor = next
	}
}

// Len returns the number of entries.
func (m *Map[K, V]) Len(ctx context.Context) (int, error) {
	if err := m.ready(); err != nil {
		return 0, m.fail("Len", err)
	}
	n, err := m.c.conn.MapLen(ctx, m.key)
	return n, wrapIf(m.fail, "Len", err)
}

// Clear deletes all entries.
func (m *Map[K, V]) Clear(ctx context.Context) error {
	if err := m.ready(); err != nil {
		return m.fail("Clear", err)
	}
	return wrapIf(m.fail, "Clear", m.c.conn.Delete(ctx, m.key))
}

// LoadMany returns the stored values of keys in one round trip; keys
// without a value are absent from the result.
func (m *Map[K, V]) LoadMany(ctx context.Context, keys []K) (map[K]V, error) {
	if err := m.ready(); err != nil {
		return nil, m.fail("LoadMany", err)
	}
	out := make(map[K]V, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	fields := make([]string, len(keys))
	for i, k := range keys {
		f, err := m.field(k)
		if err != nil {
			return nil, m.fail("LoadMany", err)
		}
		fields[i] = f
	}
	vals, err := m.c.conn.MapLoadMany(ctx, m.key, fields)
	if err != nil {
		return nil, m.fail("LoadMany", err)
	}
	for i, b := range vals {
		if b == nil {
			continue
		}
		v, err := m.decode(fields[i], b)
		if err != nil {
			return nil, err
		}
		out[keys[i]] = v
	}
	return out, nil
}

// StoreMany stores all entries of kv in one round trip, atomically: other
// clients see all of them or none.
func (m *Map[K, V]) StoreMany(ctx context.Context, kv map[K]V) error {
	if err := m.ready(); err != nil {
		return m.fail("StoreMany", err)
	}
	if len(kv) == 0 {
		return nil
	}
	fields := make([]string, 0, len(kv))
	vals := make([][]byte, 0, len(kv))
	for k, v := range kv {
		f, err := m.field(k)
		if err != nil {
			return m.fail("StoreMany", err)
		}
		b, err := m.encode(v)
		if err != nil {
			return m.fail("StoreMany", fmt.Errorf("key %q: %w", f, err))
		}
		fields = append(fields, f)
		vals = append(vals, b)
	}
	return wrapIf(m.fail, "StoreMany", m.c.conn.MapStore(ctx, m.key, fields, vals))
}
