package testenv_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// A checkout without the WW data is told both ways to provide them.
func TestWWDataSaysWhereToPutTheData(t *testing.T) {
	t.Setenv("BURST_WW_DATA", t.TempDir())
	if _, err := testenv.WWData(); err == nil || !strings.Contains(err.Error(), "$BURST_WW_DATA") {
		t.Errorf("WWData with an empty $BURST_WW_DATA: %v; want an error naming it", err)
	}
	t.Setenv("BURST_WW_DATA", "")
	mod := filepath.Join(t.TempDir(), "mod")
	if err := os.MkdirAll(filepath.Join(mod, "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(mod, "pkg"))
	_, err := testenv.WWData()
	if err == nil || !strings.Contains(err.Error(), "../shared/data/ww") || !strings.Contains(err.Error(), "BURST_WW_DATA") {
		t.Errorf("WWData in a module without ../shared: %v; want an error naming ../shared/data/ww and BURST_WW_DATA", err)
	}
}
