// Package redis is the Redis driver for package shared, on
// github.com/redis/go-redis/v9. Importing it registers the redis:// and
// rediss:// (TLS) schemes with shared.Open:
//
//	import _ "github.com/burst-dev/burst/shared/redis"
//
//	c, err := shared.Open(ctx, "redis://:password@10.0.0.5:6379/0?namespace=job-42")
//
// URL query parameters other than namespace are go-redis options
// (dial_timeout, read_timeout, pool_size, ...; see redis.ParseURL).
//
// Every operation is one round trip; operations that must read and write
// atomically are Lua scripts. A Map is a hash, a Queue a list (with a hash
// of taken items and a sorted set of lease deadlines next to it), a Mutex a
// string with an expiry. go-redis's own retries are off, because retrying a
// write whose reply was lost can apply it twice: a failed call returns an
// error wrapping shared.ErrUnavailable and the caller decides.
package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/shared"
	"github.com/burst-dev/burst/shared/driver"
)

// Schemes served by this driver.
const (
	Scheme    = "redis"
	TLSScheme = "rediss"
)

func init() {
	shared.Register(Scheme, Open)
	shared.Register(TLSScheme, Open)
}

// Open connects to the server named by u and checks that it answers and
// accepts the credentials.
func Open(ctx context.Context, u *url.URL) (driver.Conn, error) {
	if u.Scheme != Scheme && u.Scheme != TLSScheme {
		return nil, fmt.Errorf("redis: URL scheme %q, want redis or rediss", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("redis: URL %q has no host; want redis://[user:password@]host:port[/db]", redact.URL(u.String()))
	}
	opt, err := goredis.ParseURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("redis: URL %q: %v; want redis://[user:password@]host:port[/db][?go-redis options]",
			redact.URL(u.String()), redactErr(err, u))
	}
	if opt.TLSConfig != nil && opt.TLSConfig.MinVersion == 0 {
		opt.TLSConfig.MinVersion = tls.VersionTLS12
	}
	// Retrying a write whose reply was lost could apply it twice (a queue
	// item put twice); the caller gets ErrUnavailable and decides.
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	// A context deadline bounds each round trip, so short deadlines work.
	opt.ContextTimeoutEnabled = true
	if !strings.Contains(u.RawQuery, "dial_timeout") {
		opt.DialTimeout = 2 * time.Second
	}
	if !strings.Contains(u.RawQuery, "pool_size") {
		// Blocked consumers each hold a connection.
		opt.PoolSize = 64
	}
	rdb := goredis.NewClient(opt)
	c := &conn{rdb: rdb, addr: opt.Addr}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, c.wrap(pctx, "PING", err)
	}
	return c, nil
}

func redactErr(err error, u *url.URL) string {
	s := err.Error()
	if p, ok := u.User.Password(); ok && p != "" {
		s = strings.ReplaceAll(s, p, redact.Mask)
	}
	return redact.String(s)
}

type conn struct {
	rdb  *goredis.Client
	addr string
}

// wrap names the server and classifies err: unreachable → ErrUnavailable,
// refused credentials → ErrAuth, context ended → the context's error.
func (c *conn) wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(dl) {
		// The read deadline (the context's) can fire a moment before the
		// context's own timer does.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		return fmt.Errorf("redis %s %s: %w (%v)", c.addr, op, cerr, err)
	}
	msg := err.Error()
	switch {
	case errors.Is(err, goredis.ErrClosed):
		return fmt.Errorf("redis %s %s: %w", c.addr, op, driver.ErrClosed)
	case strings.HasPrefix(msg, "WRONGPASS"), strings.HasPrefix(msg, "NOAUTH"),
		strings.Contains(msg, "invalid password"), strings.Contains(msg, "without any password configured"):
		return fmt.Errorf("redis %s %s: %w (check user and password in the URL): %v", c.addr, op, driver.ErrAuth, err)
	case unavailable(err):
		return fmt.Errorf("redis %s %s: %w: %w", c.addr, op, driver.ErrUnavailable, err)
	}
	return fmt.Errorf("redis %s %s: %w", c.addr, op, err)
}

func unavailable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, goredis.ErrPoolTimeout) {
		return true
	}
	msg := err.Error()
	for _, p := range []string{"LOADING", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "connection reset") ||
		strings.Contains(msg, "broken pipe") || strings.Contains(msg, "i/o timeout")
}

func (c *conn) Addr() string { return c.addr }

func (c *conn) As(i any) bool {
	if p, ok := i.(**goredis.Client); ok {
		*p = c.rdb
		return true
	}
	return false
}

func (c *conn) Close() error { return c.rdb.Close() }

// Derived keys: the portable layer guarantees keys contain no NUL.
func taken(key string) string  { return key + "\x00taken" }
func leases(key string) string { return key + "\x00leases" }
func seq(key string) string    { return key + "\x00seq" }
func fence(key string) string  { return key + "\x00fence" }

func bytesOf(v any) ([]byte, bool) {
	switch s := v.(type) {
	case string:
		return []byte(s), true
	case []byte:
		return s, true
	}
	return nil, false
}

func (c *conn) MapLoad(ctx context.Context, key, field string) ([]byte, bool, error) {
	b, err := c.rdb.HGet(ctx, key, field).Bytes()
	if err == goredis.Nil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, c.wrap(ctx, "HGET", err)
	}
	return b, true, nil
}

func (c *conn) MapLoadMany(ctx context.Context, key string, fields []string) ([][]byte, error) {
	vals, err := c.rdb.HMGet(ctx, key, fields...).Result()
	if err != nil {
		return nil, c.wrap(ctx, "HMGET", err)
	}
	out := make([][]byte, len(fields))
	for i, v := range vals {
		if b, ok := bytesOf(v); ok {
			if b == nil {
				b = []byte{}
			}
			out[i] = b
		}
	}
	return out, nil
}

func (c *conn) MapStore(ctx context.Context, key string, fields []string, vals [][]byte) error {
	args := make([]any, 0, 2*len(fields))
	for i, f := range fields {
		args = append(args, f, vals[i])
	}
	return c.wrap(ctx, "HSET", c.rdb.HSet(ctx, key, args...).Err())
}

var (
	loadOrStore = goredis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then return {1, v} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {0}`)
	swap = goredis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if v then return {1, v} end
return {0}`)
	loadAndDelete = goredis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]); return {1, v} end
return {0}`)
	compareAndSwap = goredis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0`)
	compareAndDelete = goredis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0`)
)

// flagValue decodes the {flag, value} replies of the map scripts.
func (c *conn) flagValue(ctx context.Context, op string, r *goredis.Cmd) ([]byte, bool, error) {
	res, err := r.Slice()
	if err != nil {
		return nil, false, c.wrap(ctx, op, err)
	}
	if len(res) < 1 {
		return nil, false, fmt.Errorf("redis %s %s: unexpected reply %v", c.addr, op, res)
	}
	if n, _ := res[0].(int64); n != 1 || len(res) < 2 {
		return nil, false, nil
	}
	b, _ := bytesOf(res[1])
	if b == nil {
		b = []byte{}
	}
	return b, true, nil
}

func (c *conn) MapLoadOrStore(ctx context.Context, key, field string, val []byte) ([]byte, bool, error) {
	b, loaded, err := c.flagValue(ctx, "LoadOrStore script", loadOrStore.Run(ctx, c.rdb, []string{key}, field, val))
	if err != nil || loaded {
		return b, loaded, err
	}
	return val, false, nil
}

func (c *conn) MapSwap(ctx context.Context, key, field string, val []byte) ([]byte, bool, error) {
	return c.flagValue(ctx, "Swap script", swap.Run(ctx, c.rdb, []string{key}, field, val))
}

func (c *conn) MapLoadAndDelete(ctx context.Context, key, field string) ([]byte, bool, error) {
	return c.flagValue(ctx, "LoadAndDelete script", loadAndDelete.Run(ctx, c.rdb, []string{key}, field))
}

func (c *conn) MapDelete(ctx context.Context, key string, fields []string) error {
	return c.wrap(ctx, "HDEL", c.rdb.HDel(ctx, key, fields...).Err())
}

func (c *conn) boolScript(ctx context.Context, op string, r *goredis.Cmd) (bool, error) {
	n, err := r.Int64()
	if err != nil {
		return false, c.wrap(ctx, op, err)
	}
	return n == 1, nil
}

func (c *conn) MapCompareAndSwap(ctx context.Context, key, field string, old, new []byte) (bool, error) {
	return c.boolScript(ctx, "CompareAndSwap script", compareAndSwap.Run(ctx, c.rdb, []string{key}, field, old, new))
}

func (c *conn) MapCompareAndDelete(ctx context.Context, key, field string, old []byte) (bool, error) {
	return c.boolScript(ctx, "CompareAndDelete script", compareAndDelete.Run(ctx, c.rdb, []string{key}, field, old))
}

func (c *conn) MapScan(ctx context.Context, key string, cursor uint64, count int) ([]string, [][]byte, uint64, error) {
	kv, next, err := c.rdb.HScan(ctx, key, cursor, "", int64(count)).Result()
	if err != nil {
		return nil, nil, 0, c.wrap(ctx, "HSCAN", err)
	}
	fields := make([]string, 0, len(kv)/2)
	vals := make([][]byte, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		fields = append(fields, kv[i])
		vals = append(vals, []byte(kv[i+1]))
	}
	return fields, vals, next, nil
}

func (c *conn) MapLen(ctx context.Context, key string) (int, error) {
	n, err := c.rdb.HLen(ctx, key).Result()
	return int(n), c.wrap(ctx, "HLEN", err)
}

// Queue layout: key is a list, pushed at the left and popped at the right
// (so FIFO); taken(key) maps token → value of leased items; leases(key)
// orders tokens by lease deadline (ms, server clock); seq(key) numbers
// tokens and survives Delete so an old token never names a new item.

func (c *conn) QueuePut(ctx context.Context, key string, vals [][]byte) error {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return c.wrap(ctx, "LPUSH", c.rdb.LPush(ctx, key, args...).Err())
}

// secs formats a blocking timeout for the server; Redis ≥ 6 takes
// fractions, which go-redis's typed commands round up to whole seconds.
func secs(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

func (c *conn) QueueGet(ctx context.Context, key string, wait time.Duration) ([]byte, bool, error) {
	if wait <= 0 {
		b, err := c.rdb.RPop(ctx, key).Bytes()
		if err == goredis.Nil {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, c.wrap(ctx, "RPOP", err)
		}
		return b, true, nil
	}
	res, err := c.rdb.Do(ctx, "BRPOP", key, secs(wait)).Slice()
	if err == goredis.Nil {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, c.wrap(ctx, "BRPOP", err)
	}
	if len(res) != 2 {
		return nil, false, fmt.Errorf("redis %s BRPOP: unexpected reply %v", c.addr, res)
	}
	b, _ := bytesOf(res[1])
	if b == nil {
		b = []byte{}
	}
	return b, true, nil
}

// requeueLua returns items whose lease ended to the right end of the list
// (next to be taken), earliest deadline last pushed so it is taken first.
const requeueLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local exp = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 256)
for i = #exp, 1, -1 do
  local tok = exp[i]
  local v = redis.call('HGET', KEYS[2], tok)
  redis.call('ZREM', KEYS[3], tok)
  redis.call('HDEL', KEYS[2], tok)
  if v then redis.call('RPUSH', KEYS[1], v) end
end
`

var (
	take = goredis.NewScript(`
if ARGV[2] ~= '' then
  if redis.call('ZREM', KEYS[3], ARGV[2]) == 0 then return redis.error_reply('LEASE expired') end
  redis.call('HDEL', KEYS[2], ARGV[2])
end` + requeueLua + `
local v = redis.call('RPOP', KEYS[1])
if not v then return false end
local tok = tostring(redis.call('INCR', KEYS[4]))
redis.call('HSET', KEYS[2], tok, v)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[1]), tok)
return {tok, v}`)
	queueLen = goredis.NewScript(requeueLua + `
return {redis.call('LLEN', KEYS[1]), redis.call('HLEN', KEYS[2])}`)
	ack = goredis.NewScript(`
if redis.call('ZREM', KEYS[3], ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0`)
	extend = goredis.NewScript(`
if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[3], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1`)
	release = goredis.NewScript(`
if redis.call('ZREM', KEYS[3], ARGV[1]) == 0 then return 0 end
local v = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if v then redis.call('RPUSH', KEYS[1], v) end
return 1`)
)

func queueKeys(key string) []string {
	return []string{key, taken(key), leases(key), seq(key)}
}

func (c *conn) takeOnce(ctx context.Context, key, ack string, lease time.Duration) (string, []byte, bool, error) {
	res, err := take.Run(ctx, c.rdb, queueKeys(key), lease.Milliseconds(), ack).Slice()
	if err == goredis.Nil {
		return "", nil, false, nil
	}
	if err != nil && strings.HasPrefix(err.Error(), "LEASE") {
		return "", nil, false, fmt.Errorf("redis %s: token %s: %w", c.addr, ack, driver.ErrLeaseExpired)
	}
	if err != nil {
		return "", nil, false, c.wrap(ctx, "Take script", err)
	}
	if len(res) != 2 {
		return "", nil, false, fmt.Errorf("redis %s Take script: unexpected reply %v", c.addr, res)
	}
	tok, _ := res[0].(string)
	b, _ := bytesOf(res[1])
	if b == nil {
		b = []byte{}
	}
	return tok, b, true, nil
}

func (c *conn) QueueTake(ctx context.Context, key, ack string, lease, wait time.Duration) (string, []byte, bool, error) {
	tok, b, ok, err := c.takeOnce(ctx, key, ack, lease)
	if ok || err != nil || wait <= 0 {
		return tok, b, ok, err
	}
	// Scripts cannot block, so wait for the list to be non-empty with a
	// blocking move of its last item onto its own end, which changes
	// nothing, and then try again.
	err = c.rdb.Do(ctx, "BLMOVE", key, key, "RIGHT", "RIGHT", secs(wait)).Err()
	if err == goredis.Nil {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, c.wrap(ctx, "BLMOVE", err)
	}
	return c.takeOnce(ctx, key, "", lease)
}

func (c *conn) QueueAck(ctx context.Context, key, token string) (bool, error) {
	return c.boolScript(ctx, "Ack script", ack.Run(ctx, c.rdb, queueKeys(key), token))
}

func (c *conn) QueueExtend(ctx context.Context, key, token string, lease time.Duration) (bool, error) {
	return c.boolScript(ctx, "Extend script", extend.Run(ctx, c.rdb, queueKeys(key), token, lease.Milliseconds()))
}

func (c *conn) QueueRelease(ctx context.Context, key, token string) (bool, error) {
	return c.boolScript(ctx, "Release script", release.Run(ctx, c.rdb, queueKeys(key), token))
}

func (c *conn) QueueLen(ctx context.Context, key string) (int, int, error) {
	res, err := queueLen.Run(ctx, c.rdb, queueKeys(key)).Int64Slice()
	if err != nil {
		return 0, 0, c.wrap(ctx, "Len script", err)
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("redis %s Len script: unexpected reply %v", c.addr, res)
	}
	return int(res[0]), int(res[1]), nil
}

var (
	lockScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local tok = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], tok, 'PX', ARGV[1])
return tok`)
	unlockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`)
	extendLockScript = goredis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`)
)

func (c *conn) Lock(ctx context.Context, key string, lease time.Duration) (int64, bool, error) {
	tok, err := lockScript.Run(ctx, c.rdb, []string{key, fence(key)}, lease.Milliseconds()).Int64()
	if err != nil {
		return 0, false, c.wrap(ctx, "Lock script", err)
	}
	return tok, tok > 0, nil
}

func (c *conn) Unlock(ctx context.Context, key string, token int64) (bool, error) {
	return c.boolScript(ctx, "Unlock script", unlockScript.Run(ctx, c.rdb, []string{key}, token))
}

func (c *conn) ExtendLock(ctx context.Context, key string, token int64, lease time.Duration) (bool, error) {
	return c.boolScript(ctx, "Extend script",
		extendLockScript.Run(ctx, c.rdb, []string{key}, token, lease.Milliseconds()))
}

var counterAddFloor = goredis.NewScript(`
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = v + tonumber(ARGV[1])
if n < 0 then return {v, 0} end
redis.call('SET', KEYS[1], n)
return {n, 1}`)

func (c *conn) CounterAdd(ctx context.Context, key string, delta int64, nonNegative bool) (int64, bool, error) {
	if !nonNegative {
		v, err := c.rdb.IncrBy(ctx, key, delta).Result()
		return v, err == nil, c.wrap(ctx, "INCRBY", err)
	}
	res, err := counterAddFloor.Run(ctx, c.rdb, []string{key}, delta).Int64Slice()
	if err != nil {
		return 0, false, c.wrap(ctx, "Add script", err)
	}
	if len(res) != 2 {
		return 0, false, fmt.Errorf("redis %s Add script: unexpected reply %v", c.addr, res)
	}
	return res[0], res[1] == 1, nil
}

func (c *conn) CounterLoad(ctx context.Context, key string) (int64, error) {
	v, err := c.rdb.Get(ctx, key).Int64()
	if err == goredis.Nil {
		return 0, nil
	}
	return v, c.wrap(ctx, "GET", err)
}

var (
	barrierArrive = goredis.NewScript(`
local p = redis.call('HGET', KEYS[1], 'parties')
if p and p ~= ARGV[1] then
  return redis.error_reply('MISMATCH barrier has ' .. p .. ' parties, not ' .. ARGV[1])
end
if not p then redis.call('HSET', KEYS[1], 'parties', ARGV[1]) end
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
local n = redis.call('HINCRBY', KEYS[1], 'count', 1)
if n >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'count', 0)
  redis.call('HINCRBY', KEYS[1], 'gen', 1)
  return {gen, 1}
end
return {gen, 0}`)
	barrierLeave = goredis.NewScript(`
if tonumber(redis.call('HGET', KEYS[1], 'gen') or '0') ~= tonumber(ARGV[1]) then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'count') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 1`)
)

func (c *conn) BarrierArrive(ctx context.Context, key string, parties int) (int64, bool, error) {
	res, err := barrierArrive.Run(ctx, c.rdb, []string{key}, parties).Int64Slice()
	if err != nil {
		if strings.HasPrefix(err.Error(), "MISMATCH") {
			return 0, false, fmt.Errorf("redis %s: %s: %w", c.addr, strings.TrimPrefix(err.Error(), "MISMATCH "), driver.ErrMismatch)
		}
		return 0, false, c.wrap(ctx, "Barrier script", err)
	}
	if len(res) != 2 {
		return 0, false, fmt.Errorf("redis %s Barrier script: unexpected reply %v", c.addr, res)
	}
	return res[0], res[1] == 1, nil
}

func (c *conn) BarrierGeneration(ctx context.Context, key string) (int64, error) {
	v, err := c.rdb.HGet(ctx, key, "gen").Int64()
	if err == goredis.Nil {
		return 0, nil
	}
	return v, c.wrap(ctx, "HGET", err)
}

func (c *conn) BarrierLeave(ctx context.Context, key string, gen int64) (bool, error) {
	return c.boolScript(ctx, "Barrier leave script", barrierLeave.Run(ctx, c.rdb, []string{key}, gen))
}

func (c *conn) Delete(ctx context.Context, keys ...string) error {
	all := make([]string, 0, 3*len(keys))
	for _, k := range keys {
		// seq and fence stay: they keep tokens unique across a Clear.
		all = append(all, k, taken(k), leases(k))
	}
	return c.wrap(ctx, "DEL", c.rdb.Del(ctx, all...).Err())
}

// DropPrefix deletes with SCAN + UNLINK in batches, so a namespace of any
// size neither blocks the server nor loads all names at once.
func (c *conn) DropPrefix(ctx context.Context, prefix string) error {
	pattern := globEscape(prefix) + "*"
	var cursor uint64
	for {
		keys, next, err := c.rdb.Scan(ctx, cursor, pattern, 1000).Result()
		if err != nil {
			return c.wrap(ctx, "SCAN", err)
		}
		if len(keys) > 0 {
			if err := c.rdb.Unlink(ctx, keys...).Err(); err != nil {
				return c.wrap(ctx, "UNLINK", err)
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
