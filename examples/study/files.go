//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile in -out is held (flock) by the study writing there: a second
// study on the same folder would delete the first's run folders under it
// (each run starts from an empty folder) and overwrite its results.
const lockFile = ".study.lock"

// lockOut takes dir's study lock without waiting; the refusal names the
// process that holds it. The lock lasts as long as the returned file is open.
func lockOut(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock -out %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another study"
			if pid := strings.TrimSpace(string(b)); pid != "" {
				who = "the study of pid " + pid
			}
			return nil, fmt.Errorf("-out %s is in use: %s writes there; wait for it to end or choose another -out", dir, who)
		}
		return nil, fmt.Errorf("lock -out %s: %w", dir, err)
	}
	if f.Truncate(0) == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
