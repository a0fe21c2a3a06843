package driver

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/burst-dev/burst/internal/registry"
)

// IntParams sets *dst[key] from each parameter of q present among dst's
// keys; each must be a whole number ≥ 1. Keys are checked in sorted order,
// so of several bad parameters the same one is always reported.
func IntParams(scheme string, q url.Values, dst map[string]*int) error {
	return IntParamsFrom(scheme, q, 1, dst)
}

// IntParamsFrom is IntParams for whole numbers ≥ least.
func IntParamsFrom(scheme string, q url.Values, least int, dst map[string]*int) error {
	for _, key := range slices.Sorted(maps.Keys(dst)) {
		if v := q.Get(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < least {
				return fmt.Errorf("%s: parameter %s=%q: want a whole number ≥ %d", scheme, key, v, least)
			}
			*dst[key] = n
		}
	}
	return nil
}

// DurationParams sets *dst[key] from each parameter of q present among
// dst's keys; each must be a Go duration > 0. Keys are checked in sorted
// order, as IntParams does.
func DurationParams(scheme string, q url.Values, dst map[string]*time.Duration) error {
	for _, key := range slices.Sorted(maps.Keys(dst)) {
		if v := q.Get(key); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%s: parameter %s=%q: want a Go duration > 0 such as 500ms or 30s", scheme, key, v)
			}
			*dst[key] = d
		}
	}
	return nil
}

// Capabilities are what a program's configuration needs to know about a
// backend before opening it: whether its workers run elsewhere, and the
// defaults that follow from that.
type Capabilities struct {
	// Remote: workers run on other machines, so they cannot reach the
	// driver's memory (mem:// storage or shared state).
	Remote bool
	// MaxMessage is the platform's limit on one encoded call or result in
	// bytes; 0 for none.
	MaxMessage int
	// SpillThreshold is the encoded size above which a call's input goes
	// to the payload store, when there is one; 0 never spills.
	SpillThreshold int
	// Retries is the default number of retries on this backend; 0 keeps
	// the pool's default.
	Retries int
}

var caps = registry.New[Capabilities]("pool: capabilities of backend")

// RegisterCapabilities records the capabilities of the backend registered
// under scheme. Backend packages call it from init beside RegisterBackend;
// registering a scheme's twice panics.
func RegisterCapabilities(scheme string, c Capabilities) { caps.Register(scheme, c) }

// CapabilitiesOf returns what the backend of scheme registered; ok is false
// when no backend of that scheme is linked into the program.
func CapabilitiesOf(scheme string) (c Capabilities, ok bool) {
	c, ok = caps.Lookup(scheme)
	if !ok {
		_, ok = Lookup(scheme)
	}
	return c, ok
}
