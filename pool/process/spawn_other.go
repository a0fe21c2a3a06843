//go:build !linux

package process

import (
	"os/exec"
	"syscall"
)

// sysProcAttr: only Linux can tie a child's life to its parent's; elsewhere
// a worker ends when it reads the call pipe's close.
func sysProcAttr() *syscall.SysProcAttr { return nil }

type spawner struct{}

func newSpawner() *spawner                   { return &spawner{} }
func (s *spawner) start(cmd *exec.Cmd) error { return cmd.Start() }
func (s *spawner) stop()                     {}
