// Package porttest runs a ported example on every backend of
// providers/providerstest, with its files in an S3-compatible server and its
// shared state in Redis, and runs the original program for the output the
// port must match.
package porttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/providers"
	_ "github.com/burst-dev/burst/providers/all" // every backend and store burst.yaml may name
	"github.com/burst-dev/burst/providers/providerstest"
)

// Stores are the servers a port's files and shared state live in, for
// every backend alike: workers in other processes reach them as the driver
// does.
type Stores struct {
	s3      *testenv.S3
	redis   *testenv.Redis
	buckets int
}

// StartStores starts gofakes3 and redis-server for the rest of t (which
// must not be parallel: it sets the AWS SDK's environment).
func StartStores(t *testing.T) *Stores {
	t.Helper()
	return &Stores{s3: testenv.StartS3(t), redis: testenv.StartRedis(t, testenv.RedisOptions{})}
}

// Upload copies every regular file under dir into a new bucket, under the
// same slash-separated names, and returns the storage and shared keys of
// burst.yaml that name the bucket and the Redis server.
func (s *Stores) Upload(t *testing.T, dir string) string {
	t.Helper()
	s.buckets++
	u := s.s3.BucketURL(t, fmt.Sprintf("port-%d", s.buckets))
	ctx := context.Background()
	fsys, err := cloudfs.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		return fsys.WithContext(ctx).WriteFile(filepath.ToSlash(rel), data)
	})
	if err != nil {
		t.Fatalf("upload %s: %v", dir, err)
	}
	return "storage: '" + u + "'\nshared: '" + s.redis.URL(nil) + "'\n"
}

// Config starts backend b for the rest of t and returns burst.yaml for it
// with stores (from Upload), failing t unless burst.yaml chooses b.
func Config(t *testing.T, b providerstest.Backend, stores string) string {
	t.Helper()
	yaml := b.Start(t) + stores
	cfg, err := providers.Parse("burst.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("%s\n%v", yaml, err)
	}
	if purl, err := cfg.PoolURL(); err != nil || !strings.HasPrefix(purl, b.Scheme+":") {
		t.Fatalf("burst.yaml chose %s (%v), want a %s:// pool", purl, err, b.Scheme)
	}
	return yaml
}

// Open opens burst.yaml as a program run does; the caller closes the Env,
// which ends the run (and drops its shared state).
func Open(t *testing.T, yaml string) *providers.Env {
	t.Helper()
	cfg, err := providers.Parse("burst.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("%s\n%v", yaml, err)
	}
	env, err := providers.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("%s\n%v", yaml, err)
	}
	return env
}

// Runs starts backend b and returns a function that opens one program run
// on it each time it is called (starting b again where its workers serve
// one pool only); the caller closes each Env.
func Runs(t *testing.T, b providerstest.Backend, stores string) func() *providers.Env {
	t.Helper()
	yaml, used := Config(t, b, stores), false
	return func() *providers.Env {
		t.Helper()
		if used && b.OnePool {
			yaml = Config(t, b, stores)
		}
		used = true
		return Open(t, yaml)
	}
}

// EveryBackend runs check in a subtest for each row of
// providerstest.Backends, in the table's order. It is the one loop over
// every backend that the ports' tests share: a row added to the table
// reaches every port, and each port starts a row once and runs all its
// cases on it.
func EveryBackend(t *testing.T, check func(t *testing.T, b providerstest.Backend)) {
	t.Helper()
	for _, b := range providerstest.Backends() {
		t.Run(b.Name, func(t *testing.T) { check(t, b) })
	}
}

// Result is what a run of a program gave.
type Result struct {
	Stdout, Stderr string
	Status         int // exit status
}

// Build builds a program (a package directory, relative to the test's)
// once for t and returns a function that runs it in directory dir with args.
func Build(t *testing.T, pkg string) func(dir string, args ...string) Result {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "original")
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return func(dir string, args ...string) Result {
		t.Helper()
		var out, errs bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = &out, &errs
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("%s %s: %v", pkg, strings.Join(args, " "), err)
		}
		return Result{out.String(), errs.String(), cmd.ProcessState.ExitCode()}
	}
}

// Original builds the original program (a package directory, relative to
// the test's), runs it in directory dir with args, and returns its stdout,
// failing t unless it exits with status 0.
func Original(t *testing.T, pkg, dir string, args ...string) string {
	t.Helper()
	r := Build(t, pkg)(dir, args...)
	if r.Status != 0 {
		t.Fatalf("%s %s: exit status %d\n%s", pkg, strings.Join(args, " "), r.Status, r.Stderr)
	}
	return r.Stdout
}
