package testenv

import "syscall"

// serverAttr puts a server in its own process group, so killGroup also ends
// any children it spawns, and kills it with its test binary (Pdeathsig), so
// a binary killed by -timeout, whose cleanups never run, leaves no server.
func serverAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
