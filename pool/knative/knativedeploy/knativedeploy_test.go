package knativedeploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/burst-dev/burst/internal/ociimage/ociimagetest"
	"github.com/burst-dev/burst/pool/knative/knativedeploy"
)

// fakeKube is the part of the Kubernetes API a deploy uses (GET, POST and
// PUT of serving.knative.dev/v1 Services), on loopback, keeping Services in
// memory, enforcing resourceVersion on replace, and recording every call.
type fakeKube struct {
	mu       sync.Mutex
	calls    []string
	services map[string]map[string]any
	version  int
}

const coll = "/apis/serving.knative.dev/v1/namespaces/burst/services"

func (f *fakeKube) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer kube-token" {
		http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, coll)
	if !ok {
		http.Error(w, `{"kind":"Status","code":404}`, http.StatusNotFound)
		return
	}
	var body map[string]any
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	reply := func(code int, s map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(s)
	}
	stamp := func(s map[string]any) {
		f.version++
		md := s["metadata"].(map[string]any)
		md["resourceVersion"] = fmt.Sprint(f.version)
		s["status"] = map[string]any{"url": "http://" + md["name"].(string) + ".burst.example.com"}
	}
	name := strings.TrimPrefix(rest, "/")
	switch {
	case r.Method == http.MethodPost && name == "":
		if body["apiVersion"] != "serving.knative.dev/v1" || body["kind"] != "Service" {
			http.Error(w, "not a Knative Service", http.StatusBadRequest)
			return
		}
		n := body["metadata"].(map[string]any)["name"].(string)
		stamp(body)
		f.services[n] = body
		reply(http.StatusCreated, body)
	case f.services[name] == nil:
		http.Error(w, `{"kind":"Status","code":404}`, http.StatusNotFound)
	case r.Method == http.MethodGet:
		reply(http.StatusOK, f.services[name])
	case r.Method == http.MethodPut:
		if body["metadata"].(map[string]any)["resourceVersion"] != f.services[name]["metadata"].(map[string]any)["resourceVersion"] {
			http.Error(w, `{"kind":"Status","code":409}`, http.StatusConflict)
			return
		}
		stamp(body)
		f.services[name] = body
		reply(http.StatusOK, body)
	default:
		http.Error(w, "unexpected", http.StatusMethodNotAllowed)
	}
}

func (f *fakeKube) take() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := strings.Join(f.calls, ", ")
	f.calls = nil
	return c
}

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
	kube := &fakeKube{services: map[string]map[string]any{}}
	srv := httptest.NewServer(kube)
	defer srv.Close()
	o := knativedeploy.Options{
		APIServer: srv.URL, Token: "kube-token", Namespace: "burst", Service: "burst-worker",
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
	if got := kube.take(); got != "GET "+coll+"/burst-worker, POST "+coll {
		t.Errorf("first deploy calls: %s", got)
	}
	image, env, conc := container(kube.services["burst-worker"])
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
	if got := kube.take(); got != "GET "+coll+"/burst-worker" {
		t.Errorf("unchanged deploy calls: %s", got)
	}

	o.Binary = ociimagetest.FakeELF(t, "v2")
	res, err = knativedeploy.Deploy(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if image, _, _ := container(kube.services["burst-worker"]); !res.Changed || !res.Pushed || image != res.Image {
		t.Errorf("new binary: %+v, service runs %s", res, image)
	}
	if got := kube.take(); got != "GET "+coll+"/burst-worker, PUT "+coll+"/burst-worker" {
		t.Errorf("replace calls: %s", got)
	}
}

func TestDeployRefusesCredentialsInTheAPIServerURL(t *testing.T) {
	_, err := knativedeploy.Deploy(context.Background(), knativedeploy.Options{APIServer: "https://u:p@k8s:6443", Service: "s", Image: "r/i", Binary: "b", Secret: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), "without credentials") || strings.Contains(err.Error(), "u:p") {
		t.Errorf("got %v", err)
	}
}
