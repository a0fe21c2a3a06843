package cloudfs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/internal/redact/redacttest"
	"github.com/burst-dev/burst/internal/testenv"
)

// TestOpenErrorsHideSecrets opens every URL of the redaction table, with
// each of Open's own parameters made invalid too: no error carries a secret.
func TestOpenErrorsHideSecrets(t *testing.T) {
	for k, v := range testenv.S3Env() {
		t.Setenv(k, v)
	}
	for _, c := range redacttest.Cases {
		for _, extra := range []string{"", "prefix=../x", "part_size=lots", "part_concurrency=-1", "read_cache=lots"} {
			u := c.URL
			if extra != "" {
				sep := "?"
				if strings.Contains(u, "?") {
					sep = "&"
				}
				u += sep + extra
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			fsys, err := cloudfs.Open(ctx, u)
			cancel()
			if err == nil {
				fsys.Close()
				continue
			}
			for _, s := range c.Secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("%s (%s): error carries %q: %v", c.Name, extra, s, err)
				}
			}
		}
	}
}
