package ibmdeploy_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/oauth2"

	"github.com/burst-dev/burst/internal/fakeapi"
	"github.com/burst-dev/burst/internal/ociimage"
	"github.com/burst-dev/burst/internal/ociimage/ociimagetest"
	"github.com/burst-dev/burst/pool/ibm/ibmdeploy"
)

func envOf(a map[string]any) map[string]string {
	out := map[string]string{}
	vs, _ := a["run_env_variables"].([]any)
	for _, v := range vs {
		m := v.(map[string]any)
		out[m["name"].(string)] = m["value"].(string)
	}
	return out
}

// TestDeployPushesOnceAndCreatesThenIsANoOp: the first deploy pushes the
// image and creates the app running it by digest; an unchanged binary
// uploads nothing and changes nothing; a new setting updates the app
// without a push; a new binary pushes and updates.
func TestDeployPushesOnceAndCreatesThenIsANoOp(t *testing.T) {
	ctx := context.Background()
	reg := ociimagetest.Start(t)
	ce := fakeapi.NewCodeEngine()
	srv := httptest.NewServer(ce)
	defer srv.Close()
	o := ibmdeploy.Options{
		Project: "proj-1", Region: "us-south", App: "burst-worker",
		Image:  reg.Host + "/me/burst-worker",
		Binary: ociimagetest.FakeELF(t, "v1"), BuildID: "build-1", Secret: []byte("s3cret"),
		SpillURL:    "s3://bkt?region=us-south",
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "iam-token"}),
		Endpoint:    srv.URL + "/v2",
	}
	res, err := ibmdeploy.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || !res.Pushed || !strings.HasPrefix(res.Image, reg.Host+"/me/burst-worker@sha256:") {
		t.Fatalf("first deploy: %+v; want changed, pushed, a digest reference", res)
	}
	if got := ce.Take(); got != "GET /v2/projects/proj-1/apps/burst-worker, POST /v2/projects/proj-1/apps" {
		t.Errorf("first deploy calls: %s", got)
	}
	a := ce.Apps["burst-worker"]
	env := envOf(a)
	if a["image_reference"] != res.Image || env["BURST_SECRET"] != "s3cret" || env["BURST_BUILD_ID"] != "build-1" ||
		env["BURST_SPILL_URL"] != o.SpillURL || env[ibmdeploy.HashEnv] == "" || a["scale_concurrency"] != 1.0 {
		t.Errorf("created app: %v", a)
	}
	if res.URL != "https://burst-worker.proj.us-south.codeengine.appdomain.cloud" {
		t.Errorf("URL %q", res.URL)
	}
	// The app runs the image that was pushed: its config carries the build.
	ref, err := name.ParseReference(res.Image)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if cf, _ := img.ConfigFile(); cf.Config.Labels[ociimage.BuildIDLabel] != "build-1" {
		t.Errorf("pushed image's labels %v", cf.Config.Labels)
	}

	uploads := reg.Uploads()
	res, err = ibmdeploy.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || res.Pushed || reg.Uploads() != uploads {
		t.Errorf("unchanged binary: %+v, %d uploads; want no upload, no change", res, reg.Uploads()-uploads)
	}
	if got := ce.Take(); got != "GET /v2/projects/proj-1/apps/burst-worker" {
		t.Errorf("unchanged deploy calls: %s", got)
	}

	o.Memory = "8G"
	res, err = ibmdeploy.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Pushed || ce.Apps["burst-worker"]["scale_memory_limit"] != "8G" {
		t.Errorf("new setting: %+v, app %v; want updated, not pushed", res, ce.Apps["burst-worker"])
	}
	if got := ce.Take(); !strings.HasSuffix(got, "PATCH /v2/projects/proj-1/apps/burst-worker") {
		t.Errorf("update calls: %s", got)
	}

	o.Binary = ociimagetest.FakeELF(t, "v2")
	res, err = ibmdeploy.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || !res.Pushed || ce.Apps["burst-worker"]["image_reference"] != res.Image {
		t.Errorf("new binary: %+v; want pushed and the app moved to it", res)
	}
}

func TestDeployNamesWhatIsMissing(t *testing.T) {
	_, err := ibmdeploy.Deploy(context.Background(), ibmdeploy.Options{Project: "p"})
	if err == nil || !strings.Contains(err.Error(), "App, Image, Binary, Region (or Endpoint) required") {
		t.Errorf("got %v", err)
	}
	_, err = ibmdeploy.Deploy(context.Background(), ibmdeploy.Options{Project: "p", App: "a", Image: "x/y", Binary: "b", Region: "r",
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{})})
	if err == nil || !strings.Contains(err.Error(), "no Secret") {
		t.Errorf("got %v", err)
	}
}
