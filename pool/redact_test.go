package pool_test

import (
	"context"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/redact/redacttest"
	"github.com/burst-dev/burst/pool"
)

// TestOpenErrorsHideSecrets opens every URL of the redaction table, and
// each with a bad pool parameter: no error carries a secret.
func TestOpenErrorsHideSecrets(t *testing.T) {
	for _, c := range redacttest.Cases {
		sep := "?"
		if strings.Contains(c.URL, "?") {
			sep = "&"
		}
		for _, u := range []string{c.URL, c.URL + sep + "limit=lots"} {
			p, err := pool.Open(context.Background(), u)
			if err == nil {
				p.Close()
				continue
			}
			for _, s := range c.Secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("%s: Open(%s): error carries %q: %v", c.Name, u, s, err)
				}
			}
		}
	}
}

func TestOpenRefusesCredentialsItWouldDrop(t *testing.T) {
	_, err := pool.Open(context.Background(), "local://me:Spw1@host")
	if err == nil || !strings.Contains(err.Error(), "would be dropped") || strings.Contains(err.Error(), "Spw1") {
		t.Errorf("Open(local://me:…@host) = %v, want a refusal that hides the password", err)
	}
}
