package driver

import (
	"context"
	"log/slog"
	"maps"
)

// A Deployer puts the current program on a provider as the function its
// backend calls. burst deploy builds the program as Target says and hands
// the result to Deploy.
type Deployer interface {
	// Target says how the program must be built for this provider.
	Target() Target
	// Deploy creates or updates the function. An artifact whose hash
	// matches what is deployed is not uploaded again (Changed false).
	Deploy(ctx context.Context, a Artifact) (*Deployed, error)
}

// Target is how the program is built for a provider.
type Target struct {
	GOARCH string   // the function's architecture; GOOS is always linux
	Tags   []string // extra build tags, e.g. lambda.norpc
	Source bool     // the provider builds from source (gcp): Artifact carries the module, not only a binary
}

// Artifact is the built program handed to a Deployer.
type Artifact struct {
	Binary    string            // path of the static linux binary
	BuildID   string            // BuildIDOf(Binary), stamped as BURST_BUILD_ID
	ModuleDir string            // root of the main module
	MainDir   string            // directory of the main package
	Env       map[string]string // environment for the function (BURST_SPILL_URL, user additions)
	Log       *slog.Logger      // one line per step; never nil
}

// EnvWith returns a new map of the artifact's environment with extra's
// entries added over it: what a deployer configured beside what the build
// needs.
func (a Artifact) EnvWith(extra map[string]string) map[string]string {
	env := make(map[string]string, len(a.Env)+len(extra))
	maps.Copy(env, a.Env)
	maps.Copy(env, extra)
	return env
}

// Deployed says what a Deployer did.
type Deployed struct {
	Function string // the function's name as the provider knows it
	URL      string // its endpoint, where it has one
	Hash     string // hash of what is deployed (zip sha256, image digest)
	Changed  bool   // something was uploaded or reconfigured
	// Next is what to change in burst.yaml (or the environment) so that
	// the driver reaches what was deployed; empty when nothing.
	Next string
}

// DeployFunc is a Deployer made of its target and a function.
type DeployFunc struct {
	T Target
	F func(ctx context.Context, a Artifact) (*Deployed, error)
}

// Target returns d.T.
func (d DeployFunc) Target() Target { return d.T }

// Deploy calls d.F.
func (d DeployFunc) Deploy(ctx context.Context, a Artifact) (*Deployed, error) { return d.F(ctx, a) }

// NeedForDeploy is the error of a key burst deploy requires for backend.
func NeedForDeploy(key, backend, what string) error {
	return Keyf(key, "required by burst deploy for backend %s: %s", backend, what)
}

// NothingToDeploy is the NewDeployerFunc of backends whose workers are
// copies of the program itself (local, process, slurm, tcp).
func NothingToDeploy(Section, Compute) (Deployer, error) { return nil, nil }
