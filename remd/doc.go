// Package remd runs replica-exchange molecular dynamics (parallel tempering)
// on a burst pool: N replicas of a system, one per temperature of a ladder,
// each round advancing every replica by one segment of MD steps as one pool
// call, then attempting to swap the configurations of neighbouring
// temperatures with the Metropolis criterion
//
//	Δ = (β_i − β_j)(U_j − U_i),  accept if Δ ≤ 0, else with probability e^−Δ,
//
// where replica i sits at temperature i. An accepted swap rescales the
// replicas' velocities by sqrt(T_new/T_old), and every segment continues from
// its replica's own last coordinates and velocities.
//
// A run is deterministic: each segment's random stream is derived from
// (seed, replica, round) and each round's exchange stream from (seed, round),
// so one seed gives byte-identical output on every pool backend, in every
// storage mode (Payload, ObjectStore, Shared) and across a resume from the
// checkpoint written after every round.
//
// # Process-wide state: the kept-state cache
//
// With ObjectStore or Shared storage, every process that runs segments (a
// worker, or the driver itself on local://) also keeps, in one process-wide
// cache, each state it stored, for the replica's next segment: when that
// segment runs in the same process it takes the state from memory instead
// of reading it back from the store, which saves a GET per segment (about
// half of what an objectstore call costs beyond a payload call on the S3
// test server). It is global because a worker holds no per-run object
// between calls (calls of many sessions, even of several drivers, share its
// process), as are the caches of open stores and built engines. The cache
// is bounded: it holds at most 64 MiB of states (the oldest go first; a
// single state over 16 MiB is never kept), and what it holds stays in the
// process after Run returns until newer states push it out. It never
// changes a result: the store is written every time; an entry is good only
// for the session (one Run call) that stored it and is taken once, so a
// retry or backup attempt after the one that took it, another worker and a
// resume (-resume, always a new session) read the store.
//
// # Stored states check themselves
//
// With ObjectStore or Shared storage each state is stored with the key it
// is stored under and a CRC-32C of it all. A state whose checksum, length
// or key does not match (changed in the store, cut short, another
// replica's copied over it) is read once more, then refused with a
// *DamagedStateError (errors.Is(err, ErrDamagedState)) that names the key
// and what was wrong; the run stops and says whether -resume recomputes
// the state or it must be put back. States stored by earlier versions,
// without a checksum, still read.
//
// Engines (the code that moves atoms) are looked up by name in package
// remd/engine; package remd/engine/model registers model systems with exact
// answers, which package remd/validate provides.
//
//	import _ "github.com/burst-dev/burst/remd/engine/model"
//
//	func main() {
//		pool.Main()
//		p, _ := pool.Open(ctx, "local://")
//		ts, _ := remd.Temperatures(remd.Geometric, 0.3, 3, 8)
//		res, err := remd.Run(ctx, p, remd.Config{
//			Engine:       engine.Spec{Name: "doublewell"},
//			Temperatures: ts, Rounds: 1000, Steps: 100, Seed: 1,
//			Out:          "remd-out",
//		})
//	}
//
// The files Run writes into Out are documented in docs/remd.md.
package remd
