package httpfn_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/httpfn"
)

// The test binary doubles as a worker (HTTPFN_TEST_WORKER=1): it serves a
// Handler on a loopback port, which it prints, until killed.
func TestMain(m *testing.M) {
	pool.Main()
	if os.Getenv("HTTPFN_TEST_WORKER") == "1" {
		h := httpfn.NewHandler([]byte("the secret"))
		if d, err := time.ParseDuration(os.Getenv("HTTPFN_TEST_BODY_TIMEOUT")); err == nil {
			h.BodyTimeout = d
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(l.Addr())
		httpfn.Serve(context.Background(), l, h)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// worker starts the test binary as a worker process and returns its
// address and pid.
func worker(t *testing.T, env ...string) (string, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), "HTTPFN_TEST_WORKER=1"), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("worker printed no address: %v", err)
	}
	return strings.TrimSpace(addr), cmd.Process.Pid
}

// rss reads a process's resident and peak resident memory in bytes.
func rss(t *testing.T, pid int) (now, peak int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			if f[0] == "VmRSS:" {
				now = kb << 10
			} else {
				peak = kb << 10
			}
		}
	}
	return now, peak
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Four concurrent unsigned 250 MB POSTs are refused from their headers: the
// worker's memory does not grow (it grew to 1.8 GB and stayed there).
func TestUnsignedBodiesAreNotRead(t *testing.T) {
	addr, pid := worker(t)
	_, peak0 := rss(t, pid)
	const size = 250 << 20
	statuses := make([]string, 4)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", io.LimitReader(zeros{}, size))
			req.ContentLength = size
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses[i] = err.Error() // the worker closed the connection mid-body: fine
				return
			}
			resp.Body.Close()
			statuses[i] = resp.Status
		})
	}
	// And one oversized call with signature headers of the right shape.
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", io.LimitReader(zeros{}, 300<<20))
	req.ContentLength = 300 << 20
	httpfn.Sign([]byte("the secret"), nil, time.Now()).SetHeader(req.Header)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("300 MB call: %s, want 413", resp.Status)
		}
	}
	wg.Wait()
	for i, s := range statuses {
		if strings.HasPrefix(s, "200") {
			t.Errorf("unsigned POST %d: %s", i, s)
		}
	}
	_, peak := rss(t, pid)
	if grew := peak - peak0; grew > 64<<20 {
		t.Errorf("the worker's peak RSS grew by %d MiB for unsigned bodies, want < 64 MiB", grew>>20)
	}
	t.Logf("worker peak RSS %d → %d MiB; statuses %v", peak0>>20, peak>>20, statuses)
}

// A signed-looking call whose body stops arriving is cut off after the body
// timeout instead of holding the connection (it stayed open > 75 s).
func TestIncompleteBodyIsCutOff(t *testing.T) {
	addr, _ := worker(t, "HTTPFN_TEST_BODY_TIMEOUT=500ms")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := http.Header{}
	httpfn.Sign([]byte("the secret"), nil, time.Now()).SetHeader(h)
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n", addr)
	h.Write(c)
	fmt.Fprintf(c, "\r\n0123456789")
	// Liveness, not timing: the bound is a hundred times the timeout.
	c.SetReadDeadline(time.Now().Add(50 * time.Second))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the worker still holds the connection of an incomplete body (read %q)", b)
	}
	if len(b) > 0 && !strings.HasPrefix(string(b), "HTTP/1.1 400") {
		t.Errorf("answer to an incomplete body: %q, want 400 or a closed connection", b)
	}
}
