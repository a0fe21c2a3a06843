//go:build !unix

package cloudfs

import (
	"path/filepath"
	"strings"
)

// onOtherDevice reports whether directories a and b are on different
// volumes (a rename from one to the other fails).
func onOtherDevice(a, b string) bool {
	va, err1 := filepath.Abs(a)
	vb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && !strings.EqualFold(filepath.VolumeName(va), filepath.VolumeName(vb))
}
