package awsdeploy_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/burst-dev/burst/internal/fakeapi"
	"github.com/burst-dev/burst/pool/aws/awsdeploy"
	"github.com/burst-dev/burst/pool/driver"
)

func newClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: awssdk.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("dummy", "dummy", "")})
}

// binary writes a stand-in for the static worker binary: the deployer only
// zips it, so its bytes are what matters.
func binary(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "worker")
	if err := os.WriteFile(p, []byte("\x7fELF"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeployCreatesThenSkipsUnchangedCodeThenUpdates runs the deployer
// against a recording Lambda control-plane fake: create, then an unchanged
// binary (no upload, no change), then a new binary (code and build id
// updated).
func TestDeployCreatesThenSkipsUnchangedCodeThenUpdates(t *testing.T) {
	fake := fakeapi.NewLambda()
	srv := httptest.NewServer(fake) // listens on 127.0.0.1
	defer srv.Close()
	d := awsdeploy.New(awsdeploy.Options{Function: "burst-fn", Role: "arn:aws:iam::123456789012:role/burst",
		MemoryMB: 512, Timeout: time.Minute, Client: newClient(srv.URL)})
	if tg := d.Target(); tg.GOARCH != "amd64" || len(tg.Tags) != 1 || tg.Tags[0] != "lambda.norpc" {
		t.Errorf("Target() = %+v", tg)
	}
	ctx := context.Background()
	deploy := func(bin, build string) *driver.Deployed {
		t.Helper()
		res, err := d.Deploy(ctx, driver.Artifact{Binary: bin, BuildID: build,
			Env: map[string]string{"BURST_SPILL_URL": "file:///tmp/burst-deploy-test"}})
		if err != nil {
			t.Fatalf("Deploy: %v", err)
		}
		return res
	}

	v1 := binary(t, "v1")
	first := deploy(v1, "build-1")
	if !first.Changed || first.Function != "burst-fn" || first.Hash == "" {
		t.Fatalf("first deploy = %+v, want the function created with code", first)
	}
	if got := fake.Take(); strings.Join(got, ",") != "GET /burst-fn,POST ,GET /burst-fn/configuration" {
		t.Fatalf("first deploy made calls %q", got)
	}
	env := fake.Fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env["BURST_BUILD_ID"] != "build-1" || env["BURST_SPILL_URL"] != "file:///tmp/burst-deploy-test" {
		t.Fatalf("function environment = %v, want BURST_BUILD_ID=build-1 and BURST_SPILL_URL", env)
	}
	if fake.Fn["MemorySize"].(float64) != 512 || fake.Fn["Timeout"].(float64) != 60 || fake.Fn["Runtime"] != "provided.al2023" {
		t.Fatalf("function configuration = %v", fake.Fn)
	}

	again := deploy(v1, "build-1")
	if again.Changed || again.Hash != first.Hash {
		t.Fatalf("unchanged deploy = %+v, want no upload and no change (same hash %s)", again, first.Hash)
	}
	if got := fake.Take(); strings.Join(got, ",") != "GET /burst-fn" {
		t.Fatalf("unchanged deploy made calls %q, want only GET /burst-fn", got)
	}

	changed := deploy(binary(t, "v2"), "build-2")
	if !changed.Changed || changed.Hash == first.Hash {
		t.Fatalf("changed deploy = %+v, want new code", changed)
	}
	got := strings.Join(fake.Take(), ",")
	if !strings.Contains(got, "PUT /burst-fn/code") || !strings.Contains(got, "PUT /burst-fn/configuration") {
		t.Fatalf("changed deploy made calls %q, want code and configuration updates", got)
	}
	if fake.Zips() != 2 {
		t.Fatalf("%d uploads, want 2", fake.Zips())
	}
}

func TestDeployNeedsRoleToCreate(t *testing.T) {
	srv := httptest.NewServer(fakeapi.NewLambda())
	defer srv.Close()
	d := awsdeploy.New(awsdeploy.Options{Function: "burst-fn", Client: newClient(srv.URL)})
	_, err := d.Deploy(context.Background(), driver.Artifact{Binary: binary(t, "x")})
	if !errors.Is(err, awsdeploy.ErrNoRole) {
		t.Fatalf("err = %v, want ErrNoRole", err)
	}
}
