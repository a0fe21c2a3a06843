package main

import (
	"context"
	"flag"
	"fmt"

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
	o := providers.DeployOptions{Package: fs.Arg(0)}
	if *ldflags != "" {
		o.BuildFlags = []string{"-ldflags=" + *ldflags}
	}
	if !*quiet {
		o.Log = c.stderr
	}
	res, err := providers.Deploy(ctx, cfg, o)
	if err != nil {
		return err
	}
	what := "unchanged"
	switch {
	case res.Created:
		what = "created"
	case res.Uploaded:
		what = "code updated"
	case res.Configured:
		what = "configuration updated"
	}
	fmt.Fprintf(c.stdout, "%s: %s (build %s, sha256 %s)\n", res.Function, what, res.BuildID, res.CodeSha256)
	return nil
}
