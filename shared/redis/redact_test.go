package redis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/redact/redacttest"
	"github.com/burst-dev/burst/shared"
)

// TestOpenErrorsHideSecrets opens, with the redis driver registered, every URL of the redaction table (all on
// closed loopback ports or unknown schemes): no error carries a secret.
func TestOpenErrorsHideSecrets(t *testing.T) {
	for _, c := range redacttest.Cases {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		sc, err := shared.Open(ctx, c.URL)
		cancel()
		if err == nil {
			sc.Close()
			t.Errorf("%s: Open(%s) succeeded", c.Name, c.URL)
			continue
		}
		for _, s := range c.Secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("%s: error carries %q: %v", c.Name, s, err)
			}
		}
	}
}
