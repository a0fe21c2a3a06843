package process

import (
	"os/exec"
	"runtime"
	"syscall"
)

// sysProcAttr makes the kernel kill a worker when its driver dies, however
// it dies: the call pipe closing ends a worker too, but only once the worker
// reads it, and SIGKILL of the driver must leave no worker behind either.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// spawner starts workers from one goroutine locked to its OS thread for the
// backend's life. Pdeathsig fires when the thread that forked the child
// ends, not the process, and the Go runtime ends a thread when a goroutine
// locked to it exits: starting workers from arbitrary goroutines would let
// an unrelated runtime.LockOSThread elsewhere kill them.
type spawner struct{ reqs chan func() }

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan func())}
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for f := range s.reqs {
			f()
		}
	}()
	return s
}

func (s *spawner) start(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	s.reqs <- func() { errc <- cmd.Start() }
	return <-errc
}

func (s *spawner) stop() { close(s.reqs) }
