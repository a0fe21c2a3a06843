package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burst-dev/burst/examples/port/internal/porttest"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers/providerstest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// longLine is longer than bufio.Scanner's default limit (and short enough
// for (?i) to scan it in little time under -race).
var longLine = strings.Repeat("0123456789abcdef", 10<<10) + " hello"

// tree writes the files the tests search under dir/tree: the edge cases a
// user hits beside plain text files, and returns dir.
func tree(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"a.txt":            "hello\nHello world\nnothing here\nsay HELLO\n",
		"b/no-newline.txt": "first\nhello at the end",
		"b/crlf.txt":       "hello\r\nbye\r\n",
		"latin1.txt":       "caf\xe9 au lait, hello\nna\xefve\n", // not UTF-8
		"long.txt":         "short hello\n" + longLine + "\ntail\n",
		"bin.dat":          "\x7fELF\x02\x01\x00\x00hello\x00\n",
		"nul-nomatch.dat":  "\x00\x00\n",
		"empty.txt":        "",
		"café/menu.txt":    "Café hello\nthé\n",
	}
	for i := range 6 {
		files[fmt.Sprintf("d%d/f%02d.txt", i%3, i)] = strings.Repeat(fmt.Sprintf("line %d\n", i), i) + fmt.Sprintf("hello %d\n", i)
	}
	for name, data := range files {
		path := filepath.Join(dir, "tree", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cases are the command lines the port runs on every backend, with the
// original's exit status each must give.
var cases = []struct {
	args   []string
	status int
}{
	{[]string{"-n", "hello", "tree"}, 0},
	{[]string{"hello", "tree"}, 0},
	{[]string{"-i", "-n", "hello", "tree"}, 0},
	{[]string{"-l", "-i", "HELLO", "tree"}, 0},
	{[]string{"-n", "caf.", "tree"}, 0}, // a byte that is not UTF-8 is one character
	{[]string{"-n", "^", "tree"}, 0},    // every line of every file
	{[]string{"-n", "no such text", "tree"}, 1},
	{[]string{"-n", "a(", "tree"}, 2},       // an invalid pattern
	{[]string{"-n", "hello", "nowhere"}, 2}, // a missing directory
	{[]string{"-n", "hello"}, 2},            // usage
}

// On every backend, with the files in an S3-compatible server, the port
// prints what the original prints reading them from disk, byte for byte,
// to stdout and stderr, and exits with the same status, for each of cases:
// lines that are not UTF-8, a 160 KiB line, binary files, no match, an
// invalid pattern (refused before any call) and a missing directory (whose
// message comes from another file system: only its status and stdout are
// compared).
func TestSameOutputAsTheOriginalOnEveryBackend(t *testing.T) {
	dir := tree(t)
	original := porttest.Build(t, "../original")
	want := make([]porttest.Result, len(cases))
	for i, c := range cases {
		want[i] = original(dir, c.args...)
		if want[i].Status != c.status {
			t.Fatalf("the original %q: exit status %d, want %d\n%s", c.args, want[i].Status, c.status, want[i].Stderr)
		}
	}
	// The edge cases are in the original's output (else the comparison
	// below would prove little).
	for _, s := range []string{"tree/latin1.txt:1:caf\xe9 au lait, hello\n", "tree/long.txt:2:" + longLine + "\n", "tree/b/no-newline.txt:2:hello at the end\n", "tree/café/menu.txt:1:Café hello\n", "tree/d2/f05.txt:6:hello 5\n"} {
		if !strings.Contains(want[0].Stdout, s) {
			t.Fatalf("the original -n hello printed\n%.2000s\nwithout %.100q", want[0].Stdout, s)
		}
	}
	if want[0].Stderr != "grep: tree/bin.dat: binary file matches\n" || !strings.Contains(want[3].Stdout, "tree/bin.dat\n") {
		t.Fatalf("the original's binary file: stderr %q, -l printed\n%s", want[0].Stderr, want[3].Stdout)
	}

	stores := porttest.StartStores(t).Upload(t, dir)
	porttest.EveryBackend(t, func(t *testing.T, b providerstest.Backend) {
		env := porttest.Runs(t, b, stores)()
		defer env.Close()
		for i, c := range cases {
			calls := env.Pool.Stats().Calls
			var stdout, stderr bytes.Buffer
			got := porttest.Result{Status: run(context.Background(), env, c.args, &stdout, &stderr)}
			got.Stdout, got.Stderr = stdout.String(), stderr.String()
			w := want[i]
			if c.args[len(c.args)-1] == "nowhere" {
				if !strings.HasPrefix(got.Stderr, "grep: ") || !strings.Contains(got.Stderr, "nowhere") || strings.Count(got.Stderr, "\n") != 1 {
					t.Errorf("%q: stderr %q, want one line naming the directory", c.args, got.Stderr)
				}
				got.Stderr = w.Stderr
			}
			if got != w {
				t.Errorf("%q:\ngot  (exit status %d) stdout\n%.3000q\nstderr %q\nwant (the original's, exit status %d) stdout\n%.3000q\nstderr %q",
					c.args, got.Status, got.Stdout, got.Stderr, w.Status, w.Stdout, w.Stderr)
			}
			if n := env.Pool.Stats().Calls - calls; c.status == 2 && n != 0 {
				t.Errorf("%q: %d calls made, want none", c.args, n)
			}
		}
	})
}
