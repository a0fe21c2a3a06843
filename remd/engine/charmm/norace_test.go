//go:build !race

package charmm_test

const raceEnabled = false
