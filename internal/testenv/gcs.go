package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// GCS is fake-gcs-server (in memory) started for a test.
type GCS struct {
	*Process
	// Endpoint is the server's base URL, http://127.0.0.1:port.
	Endpoint string
}

// StartGCS starts fake-gcs-server with an in-memory backend on a free port
// of 127.0.0.1, skipping the test when it is not installed (failing under
// CI). It sets STORAGE_EMULATOR_HOST for the rest of the test, which is how
// the Google Cloud Storage client (and so gs:// URLs) find an emulator;
// with it set, gocloud uses no credentials and no metadata server (it uses
// t.Setenv, so the test must not be parallel). The
// server is killed when the test ends; its data does not survive Kill.
func StartGCS(tb testing.TB) *GCS {
	tb.Helper()
	bin := NeedTool(tb, "fake-gcs-server")
	port := FreePort(tb)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	tb.Setenv("STORAGE_EMULATOR_HOST", addr)
	// Keep the Google SDKs from looking for credentials or a GCE metadata
	// server, should anything ask.
	tb.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	tb.Setenv("GCE_METADATA_HOST", "127.0.0.1:1")
	p := Start(tb, "fake-gcs-server", addr, nil, bin,
		"-backend", "memory", "-scheme", "http", "-host", "127.0.0.1",
		"-port", fmt.Sprint(port), "-external-url", "http://"+addr,
		"-public-host", addr, "-log-level", "warn")
	return &GCS{Process: p, Endpoint: "http://" + addr}
}

// BucketURL creates bucket on the server and returns its gs:// URL.
func (g *GCS) BucketURL(tb testing.TB, bucket string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"name": bucket})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		g.Endpoint+"/storage/v1/b?project=burst-test", bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("testenv: create bucket %q: %v", bucket, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("testenv: create bucket %q: %v", bucket, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusConflict {
		tb.Fatalf("testenv: create bucket %q on %s: %s", bucket, g.Endpoint, resp.Status)
	}
	return "gs://" + bucket + "?anonymous=true"
}
