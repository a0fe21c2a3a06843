package remd

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// stream returns the random stream for one purpose, derived from the seed by
// a cryptographic hash so that streams for neighbouring (replica, round)
// pairs are unrelated. Every random number of a run comes from such a
// stream, never from shared state, which is what makes the result independent
// of the backend, of the order calls finish in, and of restarts.
func stream(seed uint64, purpose string, a, b int) *rand.Rand {
	var buf [24]byte
	binary.LittleEndian.PutUint64(buf[0:], seed)
	binary.LittleEndian.PutUint64(buf[8:], uint64(int64(a)))
	binary.LittleEndian.PutUint64(buf[16:], uint64(int64(b)))
	h := sha256.New()
	h.Write([]byte("burst/remd/" + purpose + "\x00"))
	h.Write(buf[:])
	sum := h.Sum(nil)
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[0:8]), binary.LittleEndian.Uint64(sum[8:16])))
}

// segmentRNG drives the thermostat of one replica's segment in one round.
func segmentRNG(seed uint64, replica, round int) *rand.Rand {
	return stream(seed, "segment", replica, round)
}

// initialRNG draws a replica's starting state.
func initialRNG(seed uint64, replica int) *rand.Rand {
	return stream(seed, "initial", replica, 0)
}

// exchangeRNG decides the exchanges of one round.
func exchangeRNG(seed uint64, round int) *rand.Rand {
	return stream(seed, "exchange", round, 0)
}
