// Command burst deploys a burst program as a cloud function and checks
// burst.yaml.
//
//	burst deploy [-config burst.yaml] [-ldflags …] [package]   build, zip as bootstrap, create or update the function
//	burst config [-config burst.yaml]                          validate the config and print what it selects
//	burst env                                                  list the environment variables that override config keys
//
// Install it with `go install github.com/burst-dev/burst/providers/cmd/burst@latest`.
// Deploy supports the aws backend: it builds the main package for
// linux/amd64 or arm64 (aws.architecture), skips the upload when the zip's
// hash equals the function's CodeSha256, and stamps BURST_BUILD_ID. See
// docs/providers/aws.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"

	"github.com/burst-dev/burst/providers"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "deploy":
		err = deploy(ctx, os.Args[2:])
	case "config":
		err = showConfig(os.Args[2:])
	case "env":
		for _, k := range providers.EnvKeys() {
			fmt.Printf("%-40s %s\n", providers.EnvName(k), k)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "burst:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: burst deploy [-config burst.yaml] [-ldflags flags] [package]\n       burst config [-config burst.yaml]\n       burst env")
	os.Exit(2)
}

func deploy(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("deploy", flag.ExitOnError)
	cfgPath := fs.String("config", "", "config file (default: $BURST_CONFIG, ./burst.yaml, ~/.config/burst/burst.yaml)")
	ldflags := fs.String("ldflags", "", "go build -ldflags")
	quiet := fs.Bool("q", false, "print only the result")
	fs.Parse(args)
	cfg, err := providers.Load(*cfgPath)
	if err != nil {
		return err
	}
	o := providers.DeployOptions{Package: fs.Arg(0)}
	if *ldflags != "" {
		o.BuildFlags = []string{"-ldflags=" + *ldflags}
	}
	if !*quiet {
		o.Log = os.Stderr
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
	fmt.Printf("%s: %s (build %s, sha256 %s)\n", res.Function, what, res.BuildID, res.CodeSha256)
	return nil
}

func showConfig(args []string) error {
	fs := flag.NewFlagSet("config", flag.ExitOnError)
	cfgPath := fs.String("config", "", "config file")
	fs.Parse(args)
	cfg, err := providers.Load(*cfgPath)
	if err != nil {
		return err
	}
	u, err := cfg.PoolURL()
	if err != nil {
		return err
	}
	src := cfg.Path
	if src == "" {
		src = "(none: everything runs in this process)"
	}
	p := cfg.Estimator().Estimate()
	fmt.Printf("config:  %s\ncompute: %s\nstorage: %s\nshared:  %s\npricing: %s, %d MB: $%g per GB-s, $%g per vCPU-s, $%g per million requests (%s)\n",
		src, redact(u), redact(orDefault(cfg.Storage, "mem://")), redact(orDefault(cfg.Shared, "mem://")),
		p.Provider, p.MemoryMB, p.Pricing.PerGBSecond, p.Pricing.PerVCPUSecond, p.Pricing.PerMillionRequests, p.Pricing.Date)
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// redact hides a password in a URL (redis://:secret@host).
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
