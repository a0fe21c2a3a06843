//go:build unix

package slurm

import "syscall"

// detached puts salloc in a process group of its own: a terminal's ^C or
// hang-up, or the driver's death, must not end the allocation before its
// workers have left.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
