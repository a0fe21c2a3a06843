//go:build !unix

package slurm

import (
	"os"
	"syscall"
)

func detached() *syscall.SysProcAttr { return nil }

func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
