// Command ported is a concurrent grep: examples/port/grep/original ported
// to burst. The walk and the printing stay in the driver; each file is
// searched by a pool function, which compiles the pattern it is sent and
// reads the file from burst.yaml's storage (providers): DIR is a directory
// of that storage (storage: file:///abs/dir for the local disk), which the
// workers read wherever they run. The pattern is compiled in the driver
// first, so a bad one fails before any call. burst.yaml is found as
// providers.Find says ($BURST_CONFIG, ./burst.yaml, ...). docs/porting.md
// shows the difference.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers"
	_ "github.com/burst-dev/burst/providers/all" // every backend and store burst.yaml may name
)

func main() {
	pool.Main()
	ctx := context.Background()
	env, err := providers.OpenPath(ctx, "")
	if err != nil {
		fmt.Fprintf(os.Stderr, "grep: %v\n", err)
		os.Exit(2)
	}
	status := run(ctx, env, os.Args[1:], os.Stdout, os.Stderr)
	env.Close()
	os.Exit(status)
}

type options struct {
	ignoreCase, lineNumbers, filesOnly bool
}

// run runs grep with the command-line arguments args and returns the exit
// status.
func run(ctx context.Context, env *providers.Env, args []string, stdout, stderr io.Writer) int {
	var o options
	flags := flag.NewFlagSet("grep", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.BoolVar(&o.ignoreCase, "i", false, "ignore case")
	flags.BoolVar(&o.lineNumbers, "n", false, "print line numbers")
	flags.BoolVar(&o.filesOnly, "l", false, "print only the names of files with a match")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: grep [-i] [-n] [-l] PATTERN DIR")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil || flags.NArg() != 2 {
		if err == nil {
			flags.Usage()
		}
		return 2
	}
	pattern, root := flags.Arg(0), flags.Arg(1)
	if o.ignoreCase {
		pattern = "(?i)" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		fmt.Fprintf(stderr, "grep: %v\n", err)
		return 2
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	matched, err := grep(ctx, env, re, root, o, out, stderr)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "grep: %v\n", err)
		return 2
	case matched:
		return 0
	}
	return 1
}

type match struct {
	Line int
	Text []byte
}

type result struct {
	Matches []match
	Binary  bool // the file has a NUL byte: its lines are not printed
}

// grep searches every regular file under root and prints what matched,
// reporting whether anything did.
func grep(ctx context.Context, env *providers.Env, re *regexp.Regexp, root string, o options, stdout, stderr io.Writer) (bool, error) {
	var files []string
	err := fs.WalkDir(env.FS.WithContext(ctx), root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return false, err
	}

	g, ctx := pool.WithContext(ctx, env.Pool)
	g.SetLimit(8)
	results := make([]*pool.Future[result], len(files))
	for i, path := range files {
		results[i] = search.Go(g, query{re.String(), path, o.filesOnly})
	}
	if err := g.Wait(); err != nil {
		return false, err
	}

	matched := false
	for i, path := range files {
		r, _ := results[i].Get(ctx)
		if len(r.Matches) == 0 {
			continue
		}
		matched = true
		switch {
		case o.filesOnly:
			fmt.Fprintf(stdout, "%s\n", path)
		case r.Binary:
			fmt.Fprintf(stderr, "grep: %s: binary file matches\n", path)
		default:
			for _, m := range r.Matches {
				if o.lineNumbers {
					fmt.Fprintf(stdout, "%s:%d:%s\n", path, m.Line, m.Text)
				} else {
					fmt.Fprintf(stdout, "%s:%s\n", path, m.Text)
				}
			}
		}
	}
	return matched, nil
}

type query struct {
	Pattern, Path string
	First         bool
}

var search = pool.Register("grep.search", func(ctx context.Context, q query) (result, error) {
	re, err := regexp.Compile(q.Pattern)
	if err != nil {
		return result{}, err
	}
	return searchFile(ctx, re, q.Path, q.First)
})

// searchFile returns the lines of the file at path that re matches, only
// the first if first is set or the file is binary.
func searchFile(ctx context.Context, re *regexp.Regexp, path string, first bool) (result, error) {
	if err := ctx.Err(); err != nil {
		return result{}, err // another file failed
	}
	fsys, err := providers.StorageFromContext(ctx)
	if err != nil {
		return result{}, err
	}
	data, err := fsys.WithContext(ctx).ReadFile(path)
	if err != nil {
		return result{}, err
	}
	r := result{Binary: bytes.IndexByte(data, 0) >= 0}
	for n := 1; len(data) > 0; n++ {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		if re.Match(line) {
			r.Matches = append(r.Matches, match{n, line})
			if first || r.Binary {
				break
			}
		}
	}
	return r, nil
}
