//go:build race

package charmm_test

// raceEnabled shortens the longest runs: the race detector slows arithmetic
// about tenfold, and CI runs every test under it.
const raceEnabled = true
