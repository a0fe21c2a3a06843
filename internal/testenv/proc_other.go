//go:build !unix

package testenv

import (
	"os"
	"syscall"
)

// The test servers are Unix programs; on other systems testenv only needs
// to compile, so that the packages importing it build everywhere.

func serverAttr() *syscall.SysProcAttr { return nil }

func ownGroupAttr() *syscall.SysProcAttr { return nil }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

func alive(pid int) bool {
	_, err := os.FindProcess(pid)
	return err == nil
}
