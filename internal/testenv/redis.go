package testenv

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"
)

// RedisOptions configures StartRedis.
type RedisOptions struct {
	// Persist turns on the append-only file with an fsync per write, in a
	// directory under the test's temp dir, so that Kill (SIGKILL) and
	// Restart keep every write the server acknowledged.
	Persist bool
	// Password, if set, is required from clients (requirepass).
	Password string
	// Args are extra redis-server arguments, e.g. "--maxmemory", "10mb".
	Args []string
}

// Redis is a redis-server started for a test.
type Redis struct {
	*Process
	// Dir holds the server's data files (the AOF when Persist is set).
	Dir  string
	opts RedisOptions
}

// URL returns redis://[:password@]addr/0, with query parameters from q
// (e.g. "namespace", "t1") appended.
func (r *Redis) URL(q url.Values) string {
	u := url.URL{Scheme: "redis", Host: r.Addr, Path: "/0", RawQuery: q.Encode()}
	if r.opts.Password != "" {
		u.User = url.UserPassword("", r.opts.Password)
	}
	return u.String()
}

// StartRedis starts redis-server on a free port of 127.0.0.1 (and no other
// address), skipping the test when redis-server is not installed (failing
// under CI). The server is killed when the test ends; Kill and Restart
// (from Process) crash it and bring it back on the same port and data dir.
func StartRedis(tb testing.TB, opts RedisOptions) *Redis {
	tb.Helper()
	bin := NeedTool(tb, "redis-server")
	dir := tb.TempDir()
	port := FreePort(tb)
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--protected-mode", "yes",
		"--dir", dir,
		"--save", "",
		"--daemonize", "no",
		"--logfile", "",
		"--databases", "16",
	}
	if opts.Persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	if opts.Password != "" {
		args = append(args, "--requirepass", opts.Password)
	}
	args = append(args, opts.Args...)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := Start(tb, "redis-server", addr, nil, bin, args...)
	return &Redis{Process: p, Dir: dir, opts: opts}
}
