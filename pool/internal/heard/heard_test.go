package heard_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool/internal/heard"
)

func TestHeardAndListening(t *testing.T) {
	pr, pw := io.Pipe()
	h := &heard.Reader{R: pr}
	if h.Heard() || h.Listening() {
		t.Fatal("a fresh reader heard something or is listening")
	}
	got := make(chan string)
	go func() {
		b := make([]byte, 5)
		n, _ := h.Read(b)
		got <- string(b[:n])
	}()
	for !h.Listening() {
		time.Sleep(time.Millisecond)
	}
	if h.Heard() {
		t.Fatal("heard before any byte came")
	}
	pw.Write([]byte("hello"))
	if s := <-got; s != "hello" {
		t.Fatalf("read %q", s)
	}
	if h.Listening() {
		t.Fatal("listening after the read returned")
	}
	if !h.Heard() || h.Heard() {
		t.Fatal("Heard should report the bytes once")
	}
	h2 := &heard.Reader{R: strings.NewReader("")}
	h2.Read(make([]byte, 1))
	if h2.Heard() {
		t.Fatal("an empty read counts as heard")
	}
}

func ExampleReader() {
	h := &heard.Reader{R: strings.NewReader("ping")}
	io.ReadAll(h)
	fmt.Println(h.Heard(), h.Heard(), h.Listening())
	// Output: true false false
}
