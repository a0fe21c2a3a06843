//go:build unix && !linux

package testenv

import "syscall"

// serverAttr puts a server in its own process group, so killGroup also ends
// any children it spawns. Only Linux can kill it with its test binary.
func serverAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
