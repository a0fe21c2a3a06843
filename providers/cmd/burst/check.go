package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/aws"
	"github.com/burst-dev/burst/pool/azure"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/ibm"
	"github.com/burst-dev/burst/pool/openwhisk"
	"github.com/burst-dev/burst/pool/slurm"
	"github.com/burst-dev/burst/providers"
	"github.com/burst-dev/burst/shared"
)

// probeFunc is the function name burst check calls: no program registers
// it, so a worker of the same build answers "unknown function", one of
// another build "build mismatch", and either way it answered.
const probeFunc = "burst.check/probe"

// result is one line of the report.
type result struct {
	name   string
	status string // ok, FAIL or skip
	detail string
	fix    string
}

func checkVerb(ctx context.Context, c *cmd, fs *flag.FlagSet, args []string) error {
	timeout := fs.Duration("timeout", time.Minute, "give up on each check after this `long` (a cold start can take tens of seconds)")
	build := fs.String("build", "", "the build `id` the function should run (default: aws.build_id, or the id of the package argument built as burst deploy builds it)")
	if err := parse(fs, args, 0, 1); err != nil {
		return err
	}
	cfg, err := providers.Load(c.config)
	if err != nil {
		return err
	}
	src := cmp.Or(cfg.Path, "(no config file: everything in this process)")
	var rs []result
	backend := cfg.Compute.Backend
	if cfg.Compute.URL != "" {
		backend = "compute.url"
	}
	rs = append(rs, result{"config", "ok", fmt.Sprintf("%s: backend %s", src, backend), ""})

	want, wantFrom := *build, "-build"
	if want == "" && fs.NArg() == 0 {
		switch {
		case backend == "process":
			// process workers are copies of this very executable.
			want, wantFrom = driver.BuildID(), "this executable"
		case backend == "aws" && cfg.Section("aws").(*aws.Section).BuildID != "":
			want, wantFrom = cfg.Section("aws").(*aws.Section).BuildID, "aws.build_id"
		}
	}
	if want == "" && fs.NArg() == 1 {
		cctx, cancel := context.WithTimeout(ctx, 5**timeout)
		want, err = programBuildID(cctx, cfg, fs.Arg(0))
		cancel()
		if err != nil {
			rs = append(rs, result{"build id", "FAIL", err.Error(), "give the program's main package (as to burst deploy), or -build ID"})
		}
		wantFrom = fs.Arg(0) + " built for the function"
	}

	rs = append(rs, checkFunction(ctx, cfg, *timeout, want, wantFrom)...)
	rs = append(rs, checkStorage(ctx, cfg, *timeout))
	rs = append(rs, checkShared(ctx, cfg, *timeout))

	failed := 0
	for _, r := range rs {
		fmt.Fprintf(c.stdout, "%-5s %-9s %s\n", r.status, r.name, redact.String(r.detail))
		if r.status == "FAIL" {
			failed++
			if r.fix != "" {
				fmt.Fprintf(c.stdout, "%-15s fix: %s\n", "", r.fix)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(rs))
	}
	fmt.Fprintf(c.stdout, "all %d checks passed\n", len(rs))
	return nil
}

// programBuildID builds the main package as burst deploy would for the
// configured backend and returns the build id it would stamp.
func programBuildID(ctx context.Context, cfg *providers.Config, pkg string) (string, error) {
	t := driver.Target{GOARCH: "amd64"}
	if d, err := cfg.Deployer(); err == nil && d != nil {
		t = d.Target()
		t.Source = false
	}
	dir, err := os.MkdirTemp("", "burst-check-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "burst-worker")
	if err := goBuild(ctx, pkg, bin, t, nil); err != nil {
		return "", err
	}
	return driver.BuildIDOf(bin)
}

// checkFunction sends the probe three times: the first answer may include
// a cold start, the best of the others is the round trip.
func checkFunction(ctx context.Context, cfg *providers.Config, timeout time.Duration, want, wantFrom string) []result {
	b := cfg.Compute.Backend
	if cfg.Compute.URL == "" && (b == "local" || b == "") {
		return []result{{"function", "skip", "backend local runs calls in this process: nothing to reach", ""}}
	}
	fix := functionFix(cfg)
	purl, err := cfg.PoolURL()
	if err != nil {
		return []result{{"function", "FAIL", err.Error(), fix}}
	}
	switch b {
	case "slurm":
		// Opening a slurm pool submits a job: check the cluster instead.
		u, err := url.Parse(purl)
		if err != nil {
			return []result{{"function", "FAIL", err.Error(), fix}}
		}
		o, err := slurm.ParseURL(u)
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			err = slurm.Check(cctx, o)
			cancel()
		}
		if err != nil {
			return []result{{"function", "FAIL", "slurm: " + err.Error(), "see docs for the slurm: section of burst.yaml; run where sbatch works"}}
		}
		return []result{{"function", "ok", "slurm: the client commands, controller and partition answer (no job submitted)", ""},
			{"build id", "skip", "slurm workers run this program's own binary", ""}}
	case "tcp":
		return []result{{"function", "skip", "tcp workers dial in when something starts them: nothing to reach from here", ""}}
	}
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := pool.Open(octx, purl, pool.WithRetries(0))
	if err != nil {
		return []result{{"function", "FAIL", fmt.Sprintf("cannot open %s: %v", purl, err), fix}}
	}
	defer p.Close()
	var be driver.Backend
	p.As(&be)
	job := "burst-check-" + randomHex(6)
	var first, best time.Duration
	var resp *driver.Response
	cold := ""
	for i := 1; i <= 3; i++ {
		req := &driver.Request{Version: driver.ProtocolVersion, Func: probeFunc, Job: job, ID: uint64(i), Attempt: 1,
			Codec: "json", Build: want, Input: []byte("null"), Deadline: time.Now().Add(timeout).UnixNano()}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		t0 := time.Now()
		r, err := be.Invoke(cctx, req)
		d := time.Since(t0)
		cancel()
		if err != nil {
			return []result{{"function", "FAIL", fmt.Sprintf("%s: the probe call failed: %v", purl, err), fix}}
		}
		resp = r
		if i == 1 {
			first = d
			if r.Cold {
				cold = ", a cold start"
			}
		} else if best == 0 || d < best {
			best = d
		}
	}
	out := []result{{"function", "ok", fmt.Sprintf("%s answers: round trip %s (first call %s%s)", purl, round(best), round(first), cold), ""}}
	var code, msg string
	if resp.Error != nil {
		code, msg = resp.Error.Code, resp.Error.Message
	}
	switch {
	case code == driver.CodeBuildMismatch:
		out = append(out, result{"build id", "FAIL", fmt.Sprintf("the function runs another build than %s: %s", wantFrom, msg),
			"run burst deploy from this source; a driver must send the deployed build id (aws.build_id for aws, or run the driver with BURST_BUILD_ID=<id printed by burst deploy>)"})
	case code != driver.CodeUnknownFunction:
		out[0].status = "FAIL"
		out[0].detail = fmt.Sprintf("%s answered the probe with %q instead of unknown function: %s", purl, code, msg)
		out[0].fix = fix
	case want == "":
		out = append(out, result{"build id", "skip", "not checked: give the program's main package (burst check .) or -build ID", ""})
	default:
		out = append(out, result{"build id", "ok", fmt.Sprintf("the function runs build %s, as %s", short(want), wantFrom), ""})
	}
	return out
}

func functionFix(cfg *providers.Config) string {
	switch b := cfg.Compute.Backend; b {
	case "process":
		return "the process backend starts copies of this executable; check compute.workers and that the executable may run"
	case "aws":
		return "run burst deploy; check aws.region, aws.endpoint and the credentials (aws.credentials: default, env or profile)"
	case "gcp":
		return "run burst deploy; check gcp.project, gcp.region (or gcp.endpoint), Application Default Credentials, and that $BURST_SECRET equals the function's"
	case "azure":
		return "run burst deploy; check azure.app (or azure.endpoint), the function key in $" + cmp.Or(cfg.Section("azure").(*azure.Section).KeyEnv, azure.DefaultKeyEnv) + ", and that $BURST_SECRET equals the app's"
	case "ibm":
		return "run burst deploy; check ibm.endpoint, the API key in $" + cmp.Or(cfg.Section("ibm").(*ibm.Section).APIKeyEnv, ibm.DefaultAPIKeyEnv) + ", and that $BURST_SECRET equals the application's"
	case "openwhisk":
		return "run burst deploy; check openwhisk.endpoint and namespace, the auth in $" + cmp.Or(cfg.Section("openwhisk").(*openwhisk.Section).AuthEnv, openwhisk.DefaultAuthEnv) + ", and $BURST_SECRET"
	case "knative":
		return "run burst deploy; check knative.endpoint, the token in knative.token_env, and that $BURST_SECRET equals the service's"
	}
	return "check compute.url and that its function is deployed"
}

// checkStorage writes, reads back and removes a probe object.
func checkStorage(ctx context.Context, cfg *providers.Config, timeout time.Duration) result {
	u := cmp.Or(cfg.Storage, "mem://")
	fix := storageFix(u)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t0 := time.Now()
	fsys, err := cloudfs.Open(ctx, u)
	if err != nil {
		return result{"storage", "FAIL", err.Error(), fix}
	}
	defer fsys.Close()
	fsys = fsys.WithContext(ctx)
	name := "burst-check/" + randomHex(8)
	data := []byte("burst check " + name)
	if err := fsys.WriteFile(name, data); err != nil {
		return result{"storage", "FAIL", fmt.Sprintf("%s: write %s: %v", u, name, err), fix}
	}
	got, err := fsys.ReadFile(name)
	if err != nil || string(got) != string(data) {
		return result{"storage", "FAIL", fmt.Sprintf("%s: read back %s: %v (%d bytes)", u, name, err, len(got)), fix}
	}
	if err := fsys.Remove(name); err != nil {
		return result{"storage", "FAIL", fmt.Sprintf("%s: remove %s: %v", u, name, err), fix}
	}
	return result{"storage", "ok", fmt.Sprintf("%s: wrote, read back and removed a probe in %s", u, round(time.Since(t0))), ""}
}

func storageFix(u string) string {
	s, _, _ := strings.Cut(u, ":")
	switch s {
	case "s3":
		return "check that the bucket exists and the credentials reach it (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role); for MinIO or IBM COS give endpoint= and use_path_style=true"
	case "gs":
		return "check that the bucket exists and Application Default Credentials reach it (gcloud auth application-default login)"
	case "azblob":
		return "check that the container exists and AZURE_STORAGE_ACCOUNT with az login, AZURE_STORAGE_KEY or a SAS token reaches it"
	case "file":
		return "check that the directory exists and is writable"
	}
	return "storage: takes s3://, gs://, azblob://, file:// or mem:// (see docs/config.md)"
}

// checkShared opens the shared store (Open pings it and checks the
// credentials) and round-trips a value.
func checkShared(ctx context.Context, cfg *providers.Config, timeout time.Duration) result {
	u := cmp.Or(cfg.Shared, "mem://")
	fix := "check shared: in burst.yaml (redis://[:password@]host:port/db or rediss:// for TLS), that Redis runs there and this machine reaches it (redis-cli -u URL ping)"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t0 := time.Now()
	sc, err := shared.Open(ctx, u)
	if err != nil {
		return result{"shared", "FAIL", err.Error(), fix}
	}
	defer sc.Close()
	m := shared.NewMap[string, string](sc, "burst-check")
	k := randomHex(8)
	if err := m.Store(ctx, k, "ok"); err != nil {
		return result{"shared", "FAIL", fmt.Sprintf("%s: store: %v", u, err), fix}
	}
	v, ok, err := m.LoadAndDelete(ctx, k)
	if err != nil || !ok || v != "ok" {
		return result{"shared", "FAIL", fmt.Sprintf("%s: load back: %q, %v, %v", u, v, ok, err), fix}
	}
	return result{"shared", "ok", fmt.Sprintf("%s: stored and loaded back a value in %s", u, round(time.Since(t0))), ""}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func short(id string) string {
	if len(id) > 16 {
		return id[:16] + "…"
	}
	return id
}
