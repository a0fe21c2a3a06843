// Command original is a concurrent grep: it walks a directory tree, searches
// its regular files in parallel with errgroup for a regular expression (Go
// syntax), and prints each matching line as path:text (path:line:text with
// -n), in the order of the walk and of the lines in each file, as
// grep -r does. -i ignores case and -l prints only the names of the files
// with a match. As GNU grep in the C locale, a file with a NUL byte is binary
// (its lines are not printed: "grep: path: binary file matches" goes to
// stderr), bytes that are not UTF-8 are printed as they are, and lines can
// be of any length. The exit status is 0 if a line matched, 1 if none did and
// 2 on an error. examples/port/grep/ported is the same program on a burst
// pool.
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
	"path/filepath"
	"regexp"

	"golang.org/x/sync/errgroup"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	ignoreCase, lineNumbers, filesOnly bool
}

// run runs grep with the command-line arguments args and returns the exit
// status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
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
	matched, err := grep(ctx, re, root, o, out, stderr)
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
	line int
	text []byte
}

type result struct {
	matches []match
	binary  bool // the file has a NUL byte: its lines are not printed
}

// grep searches every regular file under root and prints what matched,
// reporting whether anything did.
func grep(ctx context.Context, re *regexp.Regexp, root string, o options, stdout, stderr io.Writer) (bool, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return false, err
	}

	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	results := make([]result, len(files))
	for i, path := range files {
		g.Go(func() error {
			r, err := searchFile(ctx, re, path, o.filesOnly)
			results[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return false, err
	}

	matched := false
	for i, path := range files {
		r := results[i]
		if len(r.matches) == 0 {
			continue
		}
		matched = true
		switch {
		case o.filesOnly:
			fmt.Fprintf(stdout, "%s\n", path)
		case r.binary:
			fmt.Fprintf(stderr, "grep: %s: binary file matches\n", path)
		default:
			for _, m := range r.matches {
				if o.lineNumbers {
					fmt.Fprintf(stdout, "%s:%d:%s\n", path, m.line, m.text)
				} else {
					fmt.Fprintf(stdout, "%s:%s\n", path, m.text)
				}
			}
		}
	}
	return matched, nil
}

// searchFile returns the lines of the file at path that re matches, only
// the first if first is set or the file is binary.
func searchFile(ctx context.Context, re *regexp.Regexp, path string, first bool) (result, error) {
	if err := ctx.Err(); err != nil {
		return result{}, err // another file failed
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return result{}, err
	}
	r := result{binary: bytes.IndexByte(data, 0) >= 0}
	for n := 1; len(data) > 0; n++ {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		if re.Match(line) {
			r.matches = append(r.matches, match{n, line})
			if first || r.binary {
				break
			}
		}
	}
	return r, nil
}
