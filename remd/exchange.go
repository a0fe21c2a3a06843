package remd

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
)

// Scheme names which pairs of temperatures attempt exchanges in a round.
type Scheme string

const (
	// Neighbors attempts (0,1), (2,3), … in even rounds and (1,2), (3,4), …
	// in odd rounds, so every neighbour pair is tried every other round and
	// no replica is in two attempts at once. It is the default.
	Neighbors Scheme = "neighbors"
	// SwapAll attempts many exchanges between uniformly random pairs of
	// temperatures (not only neighbours), one after another, each seeing the
	// result of the previous ones: a Gibbs-like shuffle of the assignment.
	SwapAll Scheme = "swap-all"
)

// Schemes are the accepted exchange scheme names.
var Schemes = []Scheme{Neighbors, SwapAll}

func (s Scheme) check() error {
	switch s {
	case Neighbors, SwapAll:
		return nil
	}
	return fmt.Errorf("remd: exchange scheme %q: want %q or %q", s, Neighbors, SwapAll)
}

// Exchange is one attempted swap between the replicas at temperatures I < J.
type Exchange struct {
	Round       int
	I, J        int     // temperature indices, I < J
	ReplicaI    int     // the replica at temperature I before the attempt
	ReplicaJ    int     // the replica at temperature J before the attempt
	Probability float64 // min(1, exp(−Δ))
	Accepted    bool
}

// deltaFunc is the exponent of the Metropolis criterion. It is a seam so that
// a test can plug in a wrong formula and show that validation catches it.
type deltaFunc func(betaI, betaJ, uI, uJ float64) float64

// metropolisDelta is Δ = (β_i − β_j)(U_j − U_i) for exchanging the
// configurations at temperatures i and j: the log of the ratio of the joint
// Boltzmann weights before and after the swap, so that accepting with
// min(1, e^−Δ) keeps every temperature's canonical distribution.
func metropolisDelta(betaI, betaJ, uI, uJ float64) float64 {
	return (betaI - betaJ) * (uJ - uI)
}

// exchanger holds what an exchange round needs besides its random stream.
type exchanger struct {
	scheme   Scheme
	attempts int       // SwapAll: attempts per round
	beta     []float64 // 1/(k_B T) by temperature index
	delta    deltaFunc
}

// attempt decides the exchange between temperatures i < j, whose replicas
// are repI and repJ with potentials uI and uJ, with the uniform number draw
// from the round's stream.
func (x *exchanger) attempt(round, i, j, repI, repJ int, uI, uJ, draw float64) Exchange {
	d := x.delta(x.beta[i], x.beta[j], uI, uJ)
	p := 1.0
	if d > 0 {
		p = math.Exp(-d)
	}
	return Exchange{Round: round, I: i, J: j, ReplicaI: repI, ReplicaJ: repJ, Probability: p, Accepted: draw < p}
}

// neighborPair returns the neighbours pair that temperature k belongs to in
// a round, as its index among the round's pairs and its temperatures i < j,
// or ok false when k sits out the round (an end of the ladder).
func neighborPair(round, k, n int) (idx, i, j int, ok bool) {
	first := round % 2
	if k < first {
		return 0, 0, 0, false
	}
	i = k - (k-first)%2
	if i+1 >= n {
		return 0, 0, 0, false
	}
	return (i - first) / 2, i, i + 1, true
}

// neighborDraws returns the uniform numbers of a neighbours round, one per
// pair in the order round draws them, so that a pair can be decided as soon
// as its two segments are in, with the same outcome as the whole round.
func neighborDraws(seed uint64, round, n int) []float64 {
	rng := exchangeRNG(seed, round)
	d := make([]float64, 0, n/2)
	for range neighborPairs(round, n) {
		d = append(d, rng.Float64())
	}
	return d
}

// neighborPairs yields the lower temperature i of each neighbours pair
// (i, i+1) of a round, in the order the round attempts them: (0,1), (2,3), …
// in even rounds and (1,2), (3,4), … in odd ones.
func neighborPairs(round, n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := round % 2; i+1 < n; i += 2 {
			if !yield(i) {
				return
			}
		}
	}
}

// round attempts the exchanges of one round. perm[k] is the replica at
// temperature k and u[k] its potential energy; both are permuted in place by
// accepted swaps.
func (x *exchanger) round(round int, perm []int, u []float64, rng *rand.Rand) []Exchange {
	n := len(perm)
	var out []Exchange
	try := func(i, j int) {
		// One draw per attempt, accepted or not, so the stream stays aligned
		// however the energies come out.
		e := x.attempt(round, i, j, perm[i], perm[j], u[i], u[j], rng.Float64())
		out = append(out, e)
		if e.Accepted {
			perm[i], perm[j] = perm[j], perm[i]
			u[i], u[j] = u[j], u[i]
		}
	}
	switch x.scheme {
	case SwapAll:
		if n < 2 {
			return nil
		}
		for range x.attempts {
			i := rng.IntN(n)
			j := rng.IntN(n - 1)
			if j >= i {
				j++
			}
			if i > j {
				i, j = j, i
			}
			try(i, j)
		}
	default:
		for i := range neighborPairs(round, n) {
			try(i, i+1)
		}
	}
	return out
}
