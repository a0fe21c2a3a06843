package testenv_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
)

// redisDo sends one inline command and returns the first reply line.
func redisDo(t *testing.T, addr, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "%s\r\n", cmd)
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: read reply: %v", cmd, err)
	}
	if strings.HasPrefix(line, "$") && !strings.HasPrefix(line, "$-1") {
		line, _ = r.ReadString('\n')
	}
	return strings.TrimSpace(line)
}

func TestStartRedisKeepsDataAcrossKillWithPersist(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{Persist: true})
	if got := redisDo(t, r.Addr, "SET k v1"); got != "+OK" {
		t.Fatalf("SET: got %q, want +OK", got)
	}
	r.Kill()
	if _, err := net.DialTimeout("tcp", r.Addr, 200*time.Millisecond); err == nil {
		t.Fatalf("server still accepts connections on %s after Kill", r.Addr)
	}
	r.Restart()
	if got := redisDo(t, r.Addr, "GET k"); got != "v1" {
		t.Fatalf("GET after restart: got %q, want v1", got)
	}
}

func TestStartRedisPassword(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{Password: "s3cret"})
	if got := redisDo(t, r.Addr, "PING"); !strings.HasPrefix(got, "-NOAUTH") {
		t.Errorf("PING without password: got %q, want -NOAUTH...", got)
	}
	if got := redisDo(t, r.Addr, "AUTH s3cret"); got != "+OK" {
		t.Errorf("AUTH: got %q, want +OK", got)
	}
	if !strings.Contains(r.URL(nil), ":s3cret@127.0.0.1:") {
		t.Errorf("URL() = %q, want the password and the loopback address", r.URL(nil))
	}
}

func TestStartRedisListensOnLoopbackOnly(t *testing.T) {
	r := testenv.StartRedis(t, testenv.RedisOptions{})
	if !strings.HasPrefix(r.Addr, "127.0.0.1:") {
		t.Fatalf("Addr = %q, want 127.0.0.1:port", r.Addr)
	}
	// The reply is an array: *2, $4, bind, $9, 127.0.0.1.
	c, err := net.Dial("tcp", r.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "CONFIG GET bind\r\n")
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	var lines []string
	for i := 0; i < 5; i++ {
		l, err := br.ReadString('\n')
		if err != nil {
			break
		}
		lines = append(lines, strings.TrimSpace(l))
	}
	if len(lines) < 5 || lines[4] != "127.0.0.1" {
		t.Errorf("CONFIG GET bind: got %q, want bind 127.0.0.1", lines)
	}
}
