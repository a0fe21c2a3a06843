package driver

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"sync"
)

var buildID = sync.OnceValue(func() string {
	if id := os.Getenv("BURST_BUILD_ID"); id != "" {
		return id
	}
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	id, err := BuildIDOf(exe)
	if err != nil {
		return "unknown"
	}
	return id
})

// BuildID identifies the code of this binary. Drivers send it with every call
// and workers refuse calls from another build, because a function registered
// under the same name may mean something else in a different build. The
// environment variable BURST_BUILD_ID overrides it (deploy tools stamp it).
func BuildID() string { return buildID() }

// BuildIDOf computes the build id of the executable at path: the Go
// toolchain's own build id where the binary has one (cheap to read, and it
// changes whenever the code does), else a SHA-256 of the file.
func BuildIDOf(path string) (string, error) {
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		if s := f.Section(".note.go.buildid"); s != nil {
			if data, err := s.Data(); err == nil && len(data) > 16 {
				// Note layout: namesz, descsz, type (4 bytes each), "Go\0\0", desc.
				id := strings.TrimRight(string(data[16:]), "\x00")
				if id != "" {
					sum := sha256.Sum256([]byte(id))
					return "go-" + hex.EncodeToString(sum[:16]), nil
				}
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha-" + hex.EncodeToString(h.Sum(nil)[:16]), nil
}
