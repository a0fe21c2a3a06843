package gcpdeploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/functions/apiv2/functionspb"
	"cloud.google.com/go/longrunning/autogen/longrunningpb"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/gcp"
	"github.com/burst-dev/burst/pool/gcp/gcpdeploy"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// recorder plays the Cloud Functions v2 REST API and the signed upload URL.
type recorder struct {
	mu     sync.Mutex
	url    string
	calls  []string
	fn     *functionspb.Function
	upload []byte
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls = append(rc.calls, r.Method+" "+r.URL.Path)
	const fnName = "projects/p/locations/europe-west1/functions/burst"
	body, _ := io.ReadAll(r.Body)
	op := func(fn *functionspb.Function) {
		any, _ := anypb.New(fn)
		b, _ := protojson.Marshal(&longrunningpb.Operation{Name: "projects/p/locations/europe-west1/operations/op1", Done: true,
			Result: &longrunningpb.Operation_Response{Response: any}})
		w.Write(b)
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/v2/"+fnName:
		if rc.fn == nil {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":404,"message":"Resource 'burst' was not found","status":"NOT_FOUND"}}`)
			return
		}
		b, _ := protojson.Marshal(rc.fn)
		w.Write(b)
	case r.Method == "POST" && r.URL.Path == "/v2/projects/p/locations/europe-west1/functions:generateUploadUrl":
		fmt.Fprintf(w, `{"uploadUrl":%q,"storageSource":{"bucket":"gcf-v2-uploads","object":"burst.zip"}}`, rc.url+"/upload/burst.zip")
	case r.Method == "PUT" && r.URL.Path == "/upload/burst.zip":
		rc.upload = body
	case (r.Method == "POST" && r.URL.Path == "/v2/projects/p/locations/europe-west1/functions" && r.URL.Query().Get("functionId") == "burst") ||
		(r.Method == "PATCH" && r.URL.Path == "/v2/"+fnName):
		fn := new(functionspb.Function)
		if err := protojson.Unmarshal(body, fn); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fn.Name = fnName
		fn.ServiceConfig.Uri = "https://burst-abc123-ew.a.run.app"
		rc.fn = fn
		op(fn)
	default:
		http.Error(w, `{"error":{"code":404,"message":"no such method","status":"NOT_FOUND"}}`, http.StatusNotFound)
	}
}

// userModule writes a small program using burst, as a user would have it.
func userModule(t *testing.T) string {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/squares\n\ngo 1.26\n\nrequire github.com/burst-dev/burst v0.0.0-00010101000000-000000000000\n\nreplace github.com/burst-dev/burst => " + root + "\n",
		"cmd/squares/main.go": `package main

import (
	"context"
	"fmt"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/gcp"
	"example.com/squares/lib"
)

var Square = pool.Register("squares.square", func(ctx context.Context, x int) (int, error) { return lib.Square(x), nil })

func main() {
	pool.Main()
	fmt.Println("driver")
}
`,
		"lib/lib.go":      "package lib\n\nfunc Square(x int) int { return x * x }\n",
		"lib/lib_test.go": "package lib\n",
		".git/HEAD":       "ref: refs/heads/main\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
	return dir
}

func TestDeployCreatesOnceThenIsANoOp(t *testing.T) {
	rc := &recorder{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	rc.url = srv.URL
	o := gcpdeploy.Options{Project: "p", Region: "europe-west1", Function: "burst", ModuleDir: userModule(t), MainDir: "cmd/squares",
		Secret: []byte("s3cret"), ClientOptions: []option.ClientOption{option.WithEndpoint(srv.URL), option.WithoutAuthentication()}}
	for i, want := range []bool{true, false} {
		res, err := gcpdeploy.Deploy(context.Background(), o)
		if err != nil {
			t.Fatalf("deploy %d: %v", i+1, err)
		}
		if res.Changed != want || res.URL != "https://burst-abc123-ew.a.run.app" {
			t.Fatalf("deploy %d = %+v, want changed=%v and the function's URL", i+1, res, want)
		}
	}
	want := []string{"GET /v2/projects/p/locations/europe-west1/functions/burst",
		"POST /v2/projects/p/locations/europe-west1/functions:generateUploadUrl", "PUT /upload/burst.zip",
		"POST /v2/projects/p/locations/europe-west1/functions", "GET /v2/projects/p/locations/europe-west1/functions/burst"}
	if strings.Join(rc.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(rc.calls, "\n"), strings.Join(want, "\n"))
	}
	bc, sc := rc.fn.GetBuildConfig(), rc.fn.GetServiceConfig()
	if bc.GetEntryPoint() != "BurstCall" || bc.GetSource().GetStorageSource().GetObject() != "burst.zip" ||
		sc.GetEnvironmentVariables()["BURST_SECRET"] != "s3cret" || sc.GetEnvironmentVariables()["BURST_BUILD_ID"] != driver.BuildID() ||
		sc.GetMaxInstanceRequestConcurrency() != 1 {
		b, _ := json.Marshal(rc.fn)
		t.Fatalf("function = %s", b)
	}
	o.Env = map[string]string{"GOMAXPROCS": "2"}
	if res, err := gcpdeploy.Deploy(context.Background(), o); err != nil || !res.Changed || rc.calls[len(rc.calls)-1] != "PATCH /v2/projects/p/locations/europe-west1/functions/burst" {
		t.Fatalf("deploy with new settings = %+v, %v, last call %s; want an update", res, err, rc.calls[len(rc.calls)-1])
	}
}

// TestSourceBuildsAndServes builds the generated source the way Google's
// buildpack does (a generated main importing the function package and
// starting the Functions Framework), runs it, and calls the program's own
// registered function through the gcp driver.
func TestSourceBuildsAndServes(t *testing.T) {
	src, err := gcpdeploy.Source(userModule(t), "cmd/squares")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "_test.go") || strings.HasPrefix(f.Name, "src/.git") {
			t.Errorf("archive holds %s, which the function does not need", f.Name)
		}
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, b, 0o644)
	}
	os.MkdirAll(filepath.Join(dir, "buildpackmain"), 0o755)
	os.WriteFile(filepath.Join(dir, "buildpackmain", "main.go"), []byte(`package main

import (
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	_ "burstfn"
)

func main() {
	if err := funcframework.StartHostPort("127.0.0.1", os.Getenv("PORT")); err != nil {
		panic(err)
	}
}
`), 0o644)
	bin := filepath.Join(dir, "function")
	cmd := exec.Command("go", "build", "-o", bin, "./buildpackmain")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "CGO_ENABLED=0", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the generated function source does not build: %v\n%s", err, out)
	}
	port := testenv.FreePort(t)
	testenv.Start(t, "built-function", fmt.Sprintf("127.0.0.1:%d", port),
		[]string{"FUNCTION_TARGET=BurstCall", fmt.Sprintf("PORT=%d", port), "BURST_SECRET=" + httpfntest.Secret}, bin)
	b, err := gcp.New(context.Background(), gcp.Options{URL: fmt.Sprintf("http://127.0.0.1:%d/", port), Secret: []byte(httpfntest.Secret), Unauthenticated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	resp, err := b.Invoke(context.Background(), &driver.Request{Version: driver.ProtocolVersion, Func: "squares.square", Job: "t", ID: 1, Attempt: 1,
		Codec: "json", Input: []byte("7")})
	if err != nil || resp.Error != nil || string(resp.Output) != "49" {
		t.Fatalf("Invoke = %+v (%+v), %v; want output 49", resp, resp.Error, err)
	}
}
