package testenv_test

import (
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
)

func TestStartAzuriteCreatesContainer(t *testing.T) {
	a := testenv.StartAzurite(t)
	u := a.BucketURL(t, "container-one")
	if !strings.HasPrefix(u, "azblob://container-one?") || !strings.Contains(u, "localemu=true") {
		t.Errorf("BucketURL = %q, want azblob://container-one?...localemu=true", u)
	}
	a.BucketURL(t, "container-one") // creating again is fine (409 is accepted)
	if !strings.Contains(a.ConnectionString(), "BlobEndpoint="+a.Endpoint) {
		t.Errorf("ConnectionString = %q, want BlobEndpoint=%s", a.ConnectionString(), a.Endpoint)
	}
}
