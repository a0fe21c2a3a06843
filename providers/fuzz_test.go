package providers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A burst.yaml of any content, with any one environment override, is
// accepted or refused with a *ConfigError naming the file (and for YAML
// that does not parse, the line) or the environment variable, the same
// every time: never a panic. Seeds: the repository's example configs and docs/config.md's.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("compute: {backend: process}\n"), "", "")
	f.Add([]byte("compute:\n  backend: aws\n  memory: 2048\naws:\n  region: us-east-1\n"), "BURST_COMPUTE_TIMEOUT", "5m")
	f.Add([]byte("compute:\n  backend: slurm\nslurm:\n  nodes: 2\n"), "BURST_COMPUTE_MEMORY", "-1")
	f.Add([]byte("compute: [1\n"), "BURST_AWS_REGION", "x")
	f.Add([]byte("\t\x00"), "", "")
	for _, glob := range []string{"../examples/*/burst.yaml", "../docs/*.yaml", "testdata/*.yaml"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, "", "")
			}
		}
	}
	keys := EnvKeys()
	f.Fuzz(func(t *testing.T, data []byte, name, value string) {
		if !strings.HasPrefix(name, "BURST_") && len(keys) > 0 {
			// Point the override at a real key most of the time.
			name = EnvName(keys[len(name)%len(keys)])
		}
		env := func(k string) (string, bool) {
			if k == name {
				return value, true
			}
			return "", false
		}
		_, err := parse("burst.yaml", data, env)
		if _, again := parse("burst.yaml", data, env); (err == nil) != (again == nil) || err != nil && err.Error() != again.Error() {
			t.Fatalf("the same input gave two errors:\n%v\n%v", err, again)
		}
		if err == nil {
			return
		}
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Fatalf("error %v (%T) is not a *ConfigError", err, err)
		}
		switch {
		case ce.File == "environment" || strings.HasPrefix(ce.File, "environment "):
			if !strings.Contains(err.Error(), "BURST_") {
				t.Fatalf("environment error %q does not name the variable", err)
			}
		case ce.File != "burst.yaml":
			t.Fatalf("error %q names file %q", err, ce.File)
		case ce.Key == "(syntax)" && ce.Line <= 0:
			t.Fatalf("syntax error %q names no line", err)
		}
	})
}
