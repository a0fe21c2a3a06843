package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/providers"
)

func deployVerb(ctx context.Context, c *cmd, fs *flag.FlagSet, args []string) error {
	ldflags := fs.String("ldflags", "", "go build -ldflags `flags`")
	quiet := fs.Bool("q", false, "print only the result")
	if err := parse(fs, args, 0, 1); err != nil {
		return err
	}
	cfg, err := providers.Load(c.config)
	if err != nil {
		return err
	}
	pkg := fs.Arg(0)
	if pkg == "" {
		pkg = "."
	}
	var flags []string
	if *ldflags != "" {
		flags = []string{"-ldflags=" + *ldflags}
	}
	log := c.stderr
	if *quiet {
		log = io.Discard
	}
	backend := cfg.Compute.Backend
	d, err := cfg.Deployer()
	if err != nil {
		return err
	}
	if d == nil {
		fmt.Fprintf(c.stdout, "backend %s runs this program's own binary: nothing to deploy\n", backend)
		return nil
	}
	a := driver.Artifact{Env: map[string]string{}, Log: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{ReplaceAttr: dropTime}))}
	t := d.Target()
	if t.Source {
		// The platform builds from source; the build id stamped on the
		// function is still this source's own linux build's.
		if a.ModuleDir, a.MainDir, err = moduleOf(ctx, pkg); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "burst-deploy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	a.Binary = filepath.Join(dir, "burst-worker")
	fmt.Fprintf(log, "building %s for linux/%s\n", pkg, cmp.Or(t.GOARCH, "amd64"))
	if err := goBuild(ctx, pkg, a.Binary, t, flags); err != nil {
		return err
	}
	if a.BuildID, err = driver.BuildIDOf(a.Binary); err != nil {
		return fmt.Errorf("build id of %s: %w", a.Binary, err)
	}
	a.Env["BURST_BUILD_ID"] = a.BuildID
	if st := cfg.Storage; st != "" && !strings.HasPrefix(st, "mem://") {
		a.Env["BURST_SPILL_URL"] = st
	}
	res, err := d.Deploy(ctx, a)
	if err != nil {
		return err
	}
	what := "unchanged (same hash: nothing uploaded)"
	if res.Changed {
		what = "deployed"
	}
	fmt.Fprintf(c.stdout, "%s on %s: %s", res.Function, backend, what)
	if a.BuildID != "" {
		fmt.Fprintf(c.stdout, " (build %s)", a.BuildID)
	}
	fmt.Fprintln(c.stdout)
	if res.URL != "" {
		fmt.Fprintf(c.stdout, "  URL: %s\n", res.URL)
	}
	if res.Next != "" {
		fmt.Fprintf(c.stdout, "  %s\n", res.Next)
	}
	return nil
}

// goBuild cross-compiles the main package as a static linux binary.
// dropTime leaves the time out of progress lines on a terminal.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return redact.ReplaceAttr(groups, a)
}

func goBuild(ctx context.Context, pkg, out string, t driver.Target, flags []string) error {
	args := []string{"build", "-trimpath", "-o", out}
	if len(t.Tags) > 0 {
		args = append(args, "-tags", strings.Join(t.Tags, ","))
	}
	args = append(append(args, flags...), pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	goarch := t.GOARCH
	if goarch == "" {
		goarch = "amd64"
	}
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// moduleOf finds the module root of a main package and the package's
// directory relative to it, for platforms that build from source.
func moduleOf(ctx context.Context, pkg string) (moduleDir, mainDir string, err error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Module.Dir}}\n{{.Dir}}\n{{.Name}}", pkg).Output()
	if err != nil {
		var ee *exec.ExitError
		if ok := asExit(err, &ee); ok {
			return "", "", fmt.Errorf("go list %s: %s", pkg, ee.Stderr)
		}
		return "", "", fmt.Errorf("go list %s: %w", pkg, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 || lines[0] == "" {
		return "", "", fmt.Errorf("package %s is not in a module", pkg)
	}
	if lines[2] != "main" {
		return "", "", fmt.Errorf("package %s is package %s: burst deploy wants the program's main package", pkg, lines[2])
	}
	rel, err := filepath.Rel(lines[0], lines[1])
	if err != nil {
		return "", "", err
	}
	return lines[0], filepath.ToSlash(rel), nil
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*ee = e
	}
	return ok
}
