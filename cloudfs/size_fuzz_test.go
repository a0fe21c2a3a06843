package cloudfs

import (
	"strconv"
	"strings"
	"testing"
)

// part_size=… never overflows into a small or negative part size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"8388608", "8MiB", "16KiB", "1GiB", "9223372036854775807GiB", "-1MiB", "MiB", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
		digits := s
		for _, u := range []string{"KiB", "MiB", "GiB"} {
			digits = strings.TrimSuffix(digits, u)
		}
		if v, _ := strconv.Atoi(digits); v > n {
			t.Fatalf("parseSize(%q) = %d, less than its number", s, n)
		}
	})
}
