package testenv_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
)

func TestStartS3CreatesBucket(t *testing.T) {
	s := testenv.StartS3(t)
	u := s.BucketURL(t, "bucket-one")
	if !strings.HasPrefix(u, "s3://bucket-one?") || !strings.Contains(u, "use_path_style=true") {
		t.Errorf("BucketURL = %q, want s3://bucket-one?...use_path_style=true", u)
	}
	s.BucketURL(t, "bucket-one") // creating again is fine
	resp, err := http.Get(s.Endpoint + "/bucket-one")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET bucket: %s, want 200", resp.Status)
	}
	s.Restart()
	s.BucketURL(t, "bucket-one") // a restarted server is empty; BucketURL makes it again
}
