package knativedeploy_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/fakeapi"
	"github.com/burst-dev/burst/internal/ociimage/ociimagetest"
	"github.com/burst-dev/burst/pool/knative/knativedeploy"
)

func container(s map[string]any) (image string, env map[string]string, concurrency any) {
	spec := s["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	c := spec["containers"].([]any)[0].(map[string]any)
	env = map[string]string{}
	for _, e := range c["env"].([]any) {
		m := e.(map[string]any)
		env[m["name"].(string)] = m["value"].(string)
	}
	return c["image"].(string), env, spec["containerConcurrency"]
}

// TestDeployPushesOnceAndCreatesThenIsANoOp: the first deploy pushes the
// image and creates the Service running it by digest; an unchanged binary
// uploads nothing and changes nothing; a new binary pushes and replaces.
func TestDeployPushesOnceAndCreatesThenIsANoOp(t *testing.T) {
	ctx := context.Background()
	reg := ociimagetest.Start(t)
	kube := fakeapi.NewKube()
	srv := httptest.NewServer(kube)
	defer srv.Close()
	o := knativedeploy.Options{
		APIServer: srv.URL, Token: "kube-token", Namespace: fakeapi.KubeNamespace, Service: "burst-worker",
		Image:  reg.Host + "/me/burst-worker:v1",
		Binary: ociimagetest.FakeELF(t, "v1"), BuildID: "build-1", Secret: []byte("s3cret"), Memory: "1Gi",
	}
	res, err := knativedeploy.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || !res.Pushed || !strings.HasPrefix(res.Image, reg.Host+"/me/burst-worker@sha256:") {
		t.Fatalf("first deploy: %+v", res)
	}
	if got := kube.Take(); got != "GET "+fakeapi.KubeServices+"/burst-worker, POST "+fakeapi.KubeServices {
		t.Errorf("first deploy calls: %s", got)
	}
	image, env, conc := container(kube.Services["burst-worker"])
	if image != res.Image || env["BURST_SECRET"] != "s3cret" || env["BURST_BUILD_ID"] != "build-1" || conc != 1.0 {
		t.Errorf("created service runs %s with %v, concurrency %v", image, env, conc)
	}
	if res.URL != "http://burst-worker.burst.example.com" {
		t.Errorf("URL %q", res.URL)
	}

	uploads := reg.Uploads()
	res, err = knativedeploy.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed || res.Pushed || reg.Uploads() != uploads {
		t.Errorf("unchanged binary: %+v, %d uploads; want no upload, no change", res, reg.Uploads()-uploads)
	}
	if got := kube.Take(); got != "GET "+fakeapi.KubeServices+"/burst-worker" {
		t.Errorf("unchanged deploy calls: %s", got)
	}

	o.Binary = ociimagetest.FakeELF(t, "v2")
	res, err = knativedeploy.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if image, _, _ := container(kube.Services["burst-worker"]); !res.Changed || !res.Pushed || image != res.Image {
		t.Errorf("new binary: %+v, service runs %s", res, image)
	}
	if got := kube.Take(); got != "GET "+fakeapi.KubeServices+"/burst-worker, PUT "+fakeapi.KubeServices+"/burst-worker" {
		t.Errorf("replace calls: %s", got)
	}
}

func TestDeployRefusesCredentialsInTheAPIServerURL(t *testing.T) {
	_, err := knativedeploy.Deploy(context.Background(), knativedeploy.Options{APIServer: "https://u:p@k8s:6443", Service: "s", Image: "r/i", Binary: "b", Secret: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), "without credentials") || strings.Contains(err.Error(), "u:p") {
		t.Errorf("got %v", err)
	}
}
