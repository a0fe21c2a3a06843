package remd

import (
	"fmt"
	"math"
)

// Ladder names a way to space temperatures between Tmin and Tmax.
type Ladder string

const (
	// Geometric spaces temperatures by a constant ratio, which gives roughly
	// equal exchange acceptance between neighbours when the heat capacity is
	// constant (Kofke, 2002). It is the default.
	Geometric Ladder = "geometric"
	// Linear spaces temperatures by a constant difference.
	Linear Ladder = "linear"
	// List takes the temperatures as given.
	List Ladder = "list"
)

// Ladders are the accepted ladder names.
var Ladders = []Ladder{Geometric, Linear, List}

// Temperatures returns n temperatures from tmin to tmax (both included) spaced
// by the ladder l, which must be Geometric or Linear.
func Temperatures(l Ladder, tmin, tmax float64, n int) ([]float64, error) {
	if n < 1 {
		return nil, fmt.Errorf("remd: %d replicas: need at least 1", n)
	}
	if !(tmin > 0) || math.IsInf(tmax, 0) || !(tmax >= tmin) {
		return nil, fmt.Errorf("remd: temperatures tmin=%v tmax=%v: need 0 < tmin ≤ tmax < ∞", tmin, tmax)
	}
	if n > 1 && tmin == tmax {
		return nil, fmt.Errorf("remd: %d replicas between tmin = tmax = %v: need tmin < tmax", n, tmin)
	}
	ts := make([]float64, n)
	for k := range ts {
		f := 0.0
		if n > 1 {
			f = float64(k) / float64(n-1)
		}
		switch l {
		case Geometric, "":
			ts[k] = tmin * math.Pow(tmax/tmin, f)
		case Linear:
			ts[k] = tmin + (tmax-tmin)*f
		default:
			return nil, fmt.Errorf("remd: ladder %q: want %q or %q (or %q with explicit temperatures)", l, Geometric, Linear, List)
		}
	}
	ts[0], ts[n-1] = tmin, tmax // exact endpoints, whatever Pow rounds to
	return ts, nil
}

// CheckTemperatures accepts a ladder of finite, positive, strictly
// increasing temperatures, so that index 0 is the coldest.
func CheckTemperatures(ts []float64) error {
	if len(ts) == 0 {
		return fmt.Errorf("remd: no temperatures")
	}
	for k, t := range ts {
		if !(t > 0) || math.IsInf(t, 0) {
			return fmt.Errorf("remd: temperature %d is %v: must be positive and finite", k, t)
		}
		if k > 0 && !(t > ts[k-1]) {
			return fmt.Errorf("remd: temperatures must increase strictly: T[%d] = %v follows T[%d] = %v", k, t, k-1, ts[k-1])
		}
	}
	return nil
}
