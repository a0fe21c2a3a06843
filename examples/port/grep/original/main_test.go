package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The original behaves as GNU grep -r in the C locale does on the same
// tree, apart from the order, which is the walk's (sorted) here.
func TestBehavesAsGrep(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"t/b.txt":   "Hello\nno\nhello again",
		"t/a/x.txt": "caf\xe9 hello\n" + strings.Repeat("y", 100_000) + "hello\n",
		"t/bin":     "hello\x00\n",
	} {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	long := "t/a/x.txt:2:" + strings.Repeat("y", 100_000) + "hello\n"
	for _, c := range []struct {
		args           []string
		stdout, stderr string
		status         int
	}{
		{[]string{"-n", "hello", "t"}, "t/a/x.txt:1:caf\xe9 hello\n" + long + "t/b.txt:3:hello again\n", "grep: t/bin: binary file matches\n", 0},
		{[]string{"-i", "hello", "t"}, "t/a/x.txt:caf\xe9 hello\n" + long[:10] + long[12:] + "t/b.txt:Hello\nt/b.txt:hello again\n", "grep: t/bin: binary file matches\n", 0},
		{[]string{"-l", "Hello", "t"}, "t/b.txt\n", "", 0},
		{[]string{"-l", "hello", "t"}, "t/a/x.txt\nt/b.txt\nt/bin\n", "", 0},
		{[]string{"zzz", "t"}, "", "", 1},
		{[]string{"a(", "t"}, "", "grep: error parsing regexp: missing closing ): `a(`\n", 2},
		{[]string{"x", "nowhere"}, "", "grep: lstat nowhere: no such file or directory\n", 2},
	} {
		var stdout, stderr bytes.Buffer
		status := run(context.Background(), c.args, &stdout, &stderr)
		if stdout.String() != c.stdout || stderr.String() != c.stderr || status != c.status {
			t.Errorf("%q: exit status %d, stdout\n%.300q\nstderr %q\nwant %d, stdout\n%.300q\nstderr %q", c.args, status, stdout.String(), stderr.String(), c.status, c.stdout, c.stderr)
		}
	}
}
