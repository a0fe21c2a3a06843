//go:build unix

package cloudfs

import (
	"os"
	"syscall"
)

// onOtherDevice reports whether directories a and b are on different file
// systems (a rename from one to the other fails); false when either cannot
// be examined.
func onOtherDevice(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 != nil || err2 != nil {
		return false
	}
	da, ok1 := sa.Sys().(*syscall.Stat_t)
	db, ok2 := sb.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && da.Dev != db.Dev
}
