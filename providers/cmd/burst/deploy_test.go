package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/fakeapi"
	"github.com/burst-dev/burst/internal/ociimage/ociimagetest"
	"github.com/burst-dev/burst/internal/testenv"
)

// TestDeployFromConfigAlone deploys testdata/worker with burst deploy to
// each backend whose API has a fake here, from burst.yaml and the
// environment only: the first deploy uploads and creates, the second —
// same program, so the same binary — uploads nothing and changes nothing
// (figure 2 of issue 14, end to end through the command).
func TestDeployFromConfigAlone(t *testing.T) {
	noEnv(t)
	t.Setenv("BURST_SECRET", "deploy-test-secret")
	t.Setenv("TEST_IBM_KEY", fakeapi.CodeEngineAPIKey)
	t.Setenv("TEST_KUBE_TOKEN", fakeapi.KubeToken)
	t.Setenv("TEST_WHISK_AUTH", fakeapi.WhiskAuth)
	reg := ociimagetest.Start(t)
	for k, v := range testenv.S3Env() { // static AWS credentials, no metadata service
		t.Setenv(k, v)
	}
	ce, kube, whisk, lam := fakeapi.NewCodeEngine(), fakeapi.NewKube(), fakeapi.NewWhisk(), fakeapi.NewLambda()
	ceSrv, kubeSrv, whiskSrv, lamSrv := httptest.NewServer(ce), httptest.NewServer(kube), httptest.NewServer(whisk), httptest.NewServer(lam)
	defer lamSrv.Close()
	defer ceSrv.Close()
	defer kubeSrv.Close()
	defer whiskSrv.Close()
	common := "storage: s3://results?region=us-east-1\nshared: redis://127.0.0.1:9\n"

	for _, tc := range []struct {
		backend, yaml string
		take          func() string
		created       string // the calls of the first deploy
		unchanged     string // the calls of the second
		image         bool   // an image is pushed
	}{
		{"aws", "compute:\n  backend: aws\n  function: burst-fn\naws:\n  region: us-east-1\n  endpoint: " + lamSrv.URL +
			"\n  role: arn:aws:iam::123456789012:role/burst\n",
			func() string { return strings.Join(lam.Take(), ", ") }, "GET /burst-fn, POST , GET /burst-fn/configuration", "GET /burst-fn", false},
		{"ibm", "compute:\n  backend: ibm\n  function: burst-worker\nibm:\n  project: " + fakeapi.CodeEngineProject +
			"\n  region: us-south\n  image: " + reg.Host + "/me/burst-worker\n  api_key_env: TEST_IBM_KEY\n  api_endpoint: " + ceSrv.URL + "/v2\n  iam_endpoint: " + ceSrv.URL + "/identity/token\n",
			ce.Take, "GET /v2/projects/proj-1/apps/burst-worker, POST /v2/projects/proj-1/apps", "GET /v2/projects/proj-1/apps/burst-worker", true},
		{"knative", "compute:\n  backend: knative\n  function: burst-worker\nknative:\n  api_server: " + kubeSrv.URL +
			"\n  namespace: " + fakeapi.KubeNamespace + "\n  api_token_env: TEST_KUBE_TOKEN\n  image: " + reg.Host + "/me/burst-kn:latest\n",
			kube.Take, "GET " + fakeapi.KubeServices + "/burst-worker, POST " + fakeapi.KubeServices, "GET " + fakeapi.KubeServices + "/burst-worker", true},
		{"openwhisk", "compute:\n  backend: openwhisk\n  function: burst-worker\nopenwhisk:\n  endpoint: " + whiskSrv.URL +
			"\n  namespace: guest\n  auth_env: TEST_WHISK_AUTH\n",
			whisk.Take, "GET /api/v1/namespaces/guest/actions/burst-worker, PUT /api/v1/namespaces/guest/actions/burst-worker", "GET /api/v1/namespaces/guest/actions/burst-worker", false},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			p := writeConfig(t, tc.yaml+common)
			code, out, errOut := burst(t, "deploy", "-config", p, "./testdata/worker")
			if code != exitOK || !strings.Contains(out, " on "+tc.backend+": deployed (build ") {
				t.Fatalf("first deploy: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if got := tc.take(); got != tc.created {
				t.Errorf("first deploy's API calls:\n got %s\nwant %s", got, tc.created)
			}
			uploads := reg.Uploads()
			if tc.image && uploads == 0 {
				t.Error("no image was pushed")
			}
			code, out, errOut = burst(t, "deploy", "-config", p, "./testdata/worker")
			if code != exitOK || !strings.Contains(out, "unchanged") {
				t.Fatalf("second deploy: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if got := tc.take(); got != tc.unchanged {
				t.Errorf("unchanged deploy's API calls:\n got %s\nwant %s", got, tc.unchanged)
			}
			if reg.Uploads() != uploads {
				t.Errorf("unchanged binary: %d image uploads, want none", reg.Uploads()-uploads)
			}
			if strings.Contains(out+errOut, "deploy-test-secret") || strings.Contains(out+errOut, fakeapi.WhiskAuth) {
				t.Errorf("a secret was printed:\n%s%s", out, errOut)
			}
		})
	}
	// The Code Engine app runs the pushed image and carries the build id
	// and the spill store.
	app := ce.Apps["burst-worker"]
	env := map[string]string{}
	for _, v := range app["run_env_variables"].([]any) {
		m := v.(map[string]any)
		env[m["name"].(string)] = m["value"].(string)
	}
	if !strings.HasPrefix(app["image_reference"].(string), reg.Host+"/me/burst-worker@sha256:") ||
		env["BURST_BUILD_ID"] == "" || env["BURST_SPILL_URL"] != "s3://results?region=us-east-1" {
		t.Errorf("Code Engine app: image %v, env %v", app["image_reference"], env)
	}
}

func TestDeployNamesWhatIsMissing(t *testing.T) {
	noEnv(t)
	for k, v := range testenv.S3Env() {
		t.Setenv(k, v)
	}
	lamSrv := httptest.NewServer(fakeapi.NewLambda())
	defer lamSrv.Close()
	common := "storage: s3://b\nshared: redis://127.0.0.1:9\n"
	for _, tc := range []struct {
		name, yaml string
		secret     bool
		code       int
		want       string
	}{
		{"aws role", "compute:\n  backend: aws\n  function: burst-fn\naws:\n  region: us-east-1\n  endpoint: " + lamSrv.URL + "\n", true, exitConfig, "aws.role: required by burst deploy"},
		{"knative api server", "compute:\n  backend: knative\n  function: f\nknative:\n  image: r.example/x\n", true, exitConfig, "knative.api_server: required by burst deploy"},
		{"ibm image", "compute:\n  backend: ibm\n  function: f\nibm:\n  project: p\n  region: r\n", true, exitConfig, "ibm.image: required"},
		{"azure subscription", "compute:\n  backend: azure\n  function: f\nazure:\n  app: a\n", true, exitConfig, "azure.subscription: required"},
		{"gcp project", "compute:\n  backend: gcp\n  function: f\ngcp:\n  region: r\n", true, exitConfig, "gcp.project: required"},
		{"secret", "compute:\n  backend: knative\n  function: f\nknative:\n  image: 127.0.0.1:9/x\n  api_server: http://127.0.0.1:9\n", false, exitFailed, "$BURST_SECRET is empty"},
		{"pool url", "compute:\n  url: process://\n", true, exitConfig, "compute.url: burst deploy needs compute.backend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.secret {
				t.Setenv("BURST_SECRET", "x")
			} else {
				t.Setenv("BURST_SECRET", "")
			}
			p := writeConfig(t, tc.yaml+common)
			code, _, errOut := burst(t, "deploy", "-config", p, "./testdata/worker")
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tc.code, errOut, tc.want)
			}
		})
	}
	code, out, _ := burst(t, "deploy", "-config", writeConfig(t, "compute:\n  backend: process\n"))
	if code != exitOK || !strings.Contains(out, "nothing to deploy") {
		t.Errorf("process backend: exit %d, %s", code, out)
	}
}
