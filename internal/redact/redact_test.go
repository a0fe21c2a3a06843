package redact_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/internal/redact/redacttest"
)

func check(t *testing.T, where, out string, secrets, keep []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("%s leaks %q: %s", where, s, out)
		}
	}
	for _, k := range keep {
		if !strings.Contains(out, k) {
			t.Errorf("%s lost %q: %s", where, k, out)
		}
	}
}

func TestURLHidesEverySecret(t *testing.T) {
	for _, c := range redacttest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			check(t, "URL", redact.URL(c.URL), c.Secrets, c.Keep)
		})
	}
}

func TestStringHidesSecretsOfURLsInText(t *testing.T) {
	for _, c := range redacttest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, msg := range []string{
				fmt.Sprintf("open %q: no such bucket", c.URL),
				fmt.Sprintf("open %s: no such bucket", c.URL),
				fmt.Sprintf("(%s).", c.URL),
				fmt.Sprintf("Get `%s`", c.URL),
			} {
				check(t, "String", redact.String(msg), c.Secrets, c.Keep)
			}
		})
	}
}

func TestStringHidesPairsOutsideURLs(t *testing.T) {
	for _, tc := range []struct{ in, secret, keep string }{
		{"parameter secret_access_key=Sp1 is unknown", "Sp1", "is unknown"},
		{`sas_token="Sp2 with space"`, "Sp2", "sas_token"},
		{"Authorization token: Sp3", "Sp3", "Authorization"},
		{"password = Sp4;x=1", "Sp4", "x=1"},
		{"signal: killed", "", "signal: killed"},
		{"burst.yaml:3: compute.memory: want a whole number", "", "compute.memory: want"},
		{"bad key: compute.x", "", "bad key: compute.x"},
	} {
		out := redact.String(tc.in)
		if tc.secret != "" && strings.Contains(out, tc.secret) {
			t.Errorf("String(%q) = %q: leaks %q", tc.in, out, tc.secret)
		}
		if !strings.Contains(out, tc.keep) {
			t.Errorf("String(%q) = %q: lost %q", tc.in, out, tc.keep)
		}
	}
}

func TestErrorKeepsChainAndHidesSecrets(t *testing.T) {
	base := fmt.Errorf("open %q: %w", "s3://b?secret=Serr1", fs.ErrNotExist)
	err := redact.Error(base)
	if strings.Contains(err.Error(), "Serr1") {
		t.Errorf("Error() leaks: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(redacted, fs.ErrNotExist) = false")
	}
	if redact.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
	plain := errors.New("nothing secret")
	if redact.Error(plain) != plain {
		t.Error("an error without secrets should come back as it is")
	}
}

func TestLogsHideSecrets(t *testing.T) {
	for _, c := range redacttest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var text, js, ra bytes.Buffer
			loggers := []*slog.Logger{
				slog.New(redact.Handler(slog.NewTextHandler(&text, nil))),
				slog.New(redact.Handler(slog.NewJSONHandler(&js, nil))),
				slog.New(slog.NewTextHandler(&ra, &slog.HandlerOptions{ReplaceAttr: redact.ReplaceAttr})),
			}
			for _, l := range loggers {
				l = l.With("url", c.URL)
				l.Info("opening "+c.URL, "err", fmt.Errorf("dial %s: refused", c.URL), "u", c.URL,
					slog.Group("g", "nested", c.URL), "stringer", stringer(c.URL))
			}
			check(t, "text log", text.String(), c.Secrets, nil)
			check(t, "json log", js.String(), c.Secrets, nil)
			check(t, "ReplaceAttr log", ra.String(), c.Secrets, nil)
		})
	}
	var buf bytes.Buffer
	slog.New(redact.Handler(slog.NewTextHandler(&buf, nil))).Info("x", "token", "Slog1", "password", "Slog2")
	check(t, "secret-named attrs", buf.String(), []string{"Slog1", "Slog2"}, nil)
}

type stringer string

func (s stringer) String() string { return string(s) }

func ExampleURL() {
	fmt.Println(redact.URL("redis://:hunter2@cache:6379/0"))
	fmt.Println(redact.URL("s3://results?region=eu-west-1&secret_access_key=abc123"))
	// Output:
	// redis://:xxxxx@cache:6379/0
	// s3://results?region=eu-west-1&secret_access_key=xxxxx
}
