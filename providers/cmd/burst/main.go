// Command burst deploys a burst program as a cloud function, checks that it
// answers, prints the resolved burst.yaml and bills a finished run.
//
//	burst deploy [-config burst.yaml] [-ldflags …] [package]   build, upload unless unchanged, stamp the build id
//	burst check  [-config burst.yaml] [-timeout 1m] [package]  does the function answer, with the expected build; are storage and shared reachable
//	burst config [-config burst.yaml]                          validate the config and print it resolved, secrets hidden
//	burst cost   [-config burst.yaml] stats.json               what a finished run's calls cost on each provider
//	burst env                                                  list the environment variables that override config keys
//
// Every verb takes -h. Exit codes: 0 done; 1 the verb ran and failed (a
// check failed, a deploy was refused); 2 bad usage (an unknown verb or flag,
// a missing argument); 3 a bad config file (the message names the file,
// line and key).
//
// Install it with `go install github.com/burst-dev/burst/providers/cmd/burst@latest`.
// Secrets are never printed: URLs in output, errors and logs go through
// internal/redact.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"

	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers"
	_ "github.com/burst-dev/burst/providers/all" // every backend and store burst.yaml can name
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	exitConfig = 3
)

func main() {
	// The process backend's workers are copies of this executable: burst
	// check's probe of that backend is served here.
	pool.Main()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// verb is one subcommand: its flags are declared by setup, and do runs it.
type verb struct {
	name, args, help string
	run              func(ctx context.Context, c *cmd, fs *flag.FlagSet, args []string) error
}

// cmd is what every verb shares: its output streams and its -config flag.
type cmd struct {
	stdout, stderr io.Writer
	config         string
	log            *slog.Logger
}

// usageError is bad usage of a verb (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

var verbs []verb

func init() {
	verbs = []verb{
		{"deploy", "[-config burst.yaml] [-ldflags flags] [-q] [package]",
			"Build the main package for the configured provider and deploy it as compute.function.\nThe upload is skipped when the function already runs this binary (same hash).", deployVerb},
		{"check", "[-config burst.yaml] [-timeout 1m] [-build id] [package]",
			"Open the configured provider and report, on one screen, whether the function answers and its\nround trip, whether it runs the expected build (the package argument built as burst deploy\nbuilds it, -build, or aws.build_id), and whether storage and shared are reachable, with a\nfix for each failure. Exit code 1 when a check fails.", checkVerb},
		{"config", "[-config burst.yaml]",
			"Validate the config and print it resolved (defaults and environment overrides applied),\nwith every secret hidden.", configVerb},
		{"cost", "[-config burst.yaml] [-memory MB] [-cpu N] stats.json",
			"Bill a finished run on every provider's price list and billing rules: stats.json is a JSON\narray of pool.CallStats (each call billed by the provider's rounding and minimum) or a\npool.Stats object (totals). The configured provider is also billed at burst.yaml's prices.", costVerb},
		{"env", "",
			"List the environment variables that override config keys.", envVerb},
	}
}

func mainUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: burst <verb> [flags] [args]\n\nverbs:")
	for _, v := range verbs {
		fmt.Fprintf(w, "  burst %s %s\n", v.name, v.args)
	}
	fmt.Fprintln(w, "\nRun burst <verb> -h for a verb's flags. Exit codes: 0 ok, 1 failed, 2 bad usage, 3 bad config.")
}

// run is the command with its streams as arguments, so tests run it in
// process; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Libraries log through slog.Default: make sure no secret reaches the
	// terminal through them either.
	log := slog.New(redact.Handler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	prev := slog.Default()
	slog.SetDefault(log)
	defer slog.SetDefault(prev)

	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		mainUsage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var v *verb
	for i := range verbs {
		if verbs[i].name == args[0] {
			v = &verbs[i]
		}
	}
	if v == nil {
		fmt.Fprintf(stderr, "burst: unknown verb %q\n", args[0])
		mainUsage(stderr)
		return exitUsage
	}
	c := &cmd{stdout: stdout, stderr: stderr, log: log}
	fs := flag.NewFlagSet("burst "+v.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: burst %s %s\n\n%s\n\nflags:\n", v.name, v.args, v.help)
		fs.PrintDefaults()
	}
	if v.name != "env" {
		fs.StringVar(&c.config, "config", "", "config `file` (default: $BURST_CONFIG, ./burst.yaml, ~/.config/burst/burst.yaml)")
	}
	err := v.run(ctx, c, fs, args[1:])
	return exitCode(stderr, v.name, err)
}

func exitCode(stderr io.Writer, verb string, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, errFlags) {
		if ue != nil {
			fmt.Fprintf(stderr, "burst %s: %s (see burst %s -h)\n", verb, ue.msg, verb)
		}
		return exitUsage
	}
	fmt.Fprintf(stderr, "burst %s: %v\n", verb, redact.Error(err))
	var ce *providers.ConfigError
	if errors.As(err, &ce) {
		return exitConfig
	}
	return exitFailed
}

var (
	// errFlags is a flag parse error, which package flag has printed.
	errFlags = errors.New("bad flags")
	// errReported is a failure already explained on stdout (burst check).
	errReported = errors.New("failed")
)

// parse parses the verb's flags, wanting between min and max arguments
// (max < 0: any number).
func parse(fs *flag.FlagSet, args []string, min, max int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errFlags
	}
	n := fs.NArg()
	switch {
	case n < min:
		return usagef("want %d argument(s), got %d", min, n)
	case max >= 0 && n > max:
		return usagef("unexpected argument %q", fs.Arg(max))
	}
	return nil
}

func envVerb(_ context.Context, c *cmd, fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	for _, k := range providers.EnvKeys() {
		fmt.Fprintf(c.stdout, "%-40s %s\n", providers.EnvName(k), k)
	}
	return nil
}
