package testenv_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
)

func TestStartGCSCreatesBucket(t *testing.T) {
	g := testenv.StartGCS(t)
	if got := g.BucketURL(t, "bucket-one"); got != "gs://bucket-one?anonymous=true" {
		t.Errorf("BucketURL = %q, want gs://bucket-one?anonymous=true", got)
	}
	g.BucketURL(t, "bucket-one") // creating again is fine
	if got := os.Getenv("STORAGE_EMULATOR_HOST"); got != g.Addr {
		t.Errorf("STORAGE_EMULATOR_HOST = %q, want %q", got, g.Addr)
	}
	resp, err := http.Get(g.Endpoint + "/storage/v1/b/bucket-one")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET bucket: %s, want 200", resp.Status)
	}
}
