package testenv_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
)

func TestFreePortIsBindable(t *testing.T) {
	port := testenv.FreePort(t)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("FreePort gave %d, but it cannot be bound: %v", port, err)
	}
	l.Close()
}

func TestLookToolFindsShell(t *testing.T) {
	if _, err := testenv.LookTool("sh"); err != nil {
		t.Fatalf("LookTool(sh): %v", err)
	}
	if _, err := testenv.LookTool("no-such-tool-burst"); err == nil {
		t.Fatal("LookTool of a missing tool returned no error")
	}
}
