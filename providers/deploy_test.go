package providers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/burst-dev/burst/providers"
)

// fakeLambda is a Lambda control-plane API on loopback that keeps one
// function in memory and records every call, so the deploy logic is tested
// without a cloud.
type fakeLambda struct {
	mu    sync.Mutex
	calls []string
	fn    map[string]any // FunctionConfiguration as JSON fields; nil until created
	zips  int
}

func (f *fakeLambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions")
	f.calls = append(f.calls, r.Method+" "+path)
	var body map[string]any
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		json.Unmarshal(b, &body)
	}
	reply := func(v any) { w.Header().Set("Content-Type", "application/json"); json.NewEncoder(w).Encode(v) }
	notFound := func() {
		w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"Type":"User","Message":"Function not found"}`))
	}
	setCode := func(zipB64 any) {
		zipped, _ := base64.StdEncoding.DecodeString(zipB64.(string))
		f.zips++
		f.fn["CodeSha256"] = sha(zipped)
	}
	switch {
	case r.Method == http.MethodPost && path == "":
		f.fn = map[string]any{"FunctionName": body["FunctionName"], "MemorySize": body["MemorySize"], "Timeout": body["Timeout"],
			"Environment": body["Environment"], "Role": body["Role"], "Runtime": body["Runtime"], "Architectures": body["Architectures"],
			"State": "Active", "LastUpdateStatus": "Successful"}
		setCode(body["Code"].(map[string]any)["ZipFile"])
		reply(f.fn)
	case f.fn == nil:
		notFound()
	case r.Method == http.MethodGet && path == "/burst-fn":
		reply(map[string]any{"Configuration": f.fn})
	case r.Method == http.MethodGet && path == "/burst-fn/configuration":
		reply(f.fn)
	case r.Method == http.MethodPut && path == "/burst-fn/code":
		setCode(body["ZipFile"])
		reply(f.fn)
	case r.Method == http.MethodPut && path == "/burst-fn/configuration":
		for _, k := range []string{"MemorySize", "Timeout", "Environment"} {
			if v, ok := body[k]; ok {
				f.fn[k] = v
			}
		}
		reply(f.fn)
	default:
		notFound()
	}
}

func sha(b []byte) string {
	h := sha256Sum(b)
	return base64.StdEncoding.EncodeToString(h[:])
}

func (f *fakeLambda) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func TestDeployCreatesThenSkipsUnchangedCodeThenUpdates(t *testing.T) {
	noEnv(t)
	fake := &fakeLambda{}
	srv := httptest.NewServer(fake) // listens on 127.0.0.1
	defer srv.Close()
	client := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: awssdk.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("dummy", "dummy", "")})
	cfg, err := providers.Parse("burst.yaml", []byte(`
compute: {backend: aws, function: burst-fn, memory: 512, timeout: 60s}
storage: file:///tmp/burst-deploy-test
aws: {region: us-east-1, role: "arn:aws:iam::123456789012:role/burst"}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	deploy := func(flags ...string) *providers.DeployResult {
		t.Helper()
		var log bytes.Buffer
		res, err := providers.Deploy(ctx, cfg, providers.DeployOptions{Package: "./testdata/worker", Client: client, BuildFlags: flags, Log: &log})
		if err != nil {
			t.Fatalf("Deploy: %v\n%s", err, log.String())
		}
		return res
	}

	first := deploy()
	if !first.Created || !first.Uploaded || first.BuildID == "" {
		t.Fatalf("first deploy = %+v, want the function created with code", first)
	}
	if got := fake.take(); strings.Join(got, ",") != "GET /burst-fn,POST ,GET /burst-fn/configuration" {
		t.Fatalf("first deploy made calls %q", got)
	}
	env := fake.fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env["BURST_BUILD_ID"] != first.BuildID || env["BURST_SPILL_URL"] != "file:///tmp/burst-deploy-test" {
		t.Fatalf("function environment = %v, want BURST_BUILD_ID=%s and BURST_SPILL_URL", env, first.BuildID)
	}
	if fake.fn["MemorySize"].(float64) != 512 || fake.fn["Timeout"].(float64) != 60 || fake.fn["Runtime"] != "provided.al2023" {
		t.Fatalf("function configuration = %v", fake.fn)
	}

	again := deploy()
	if again.Uploaded || again.Configured || again.CodeSha256 != first.CodeSha256 {
		t.Fatalf("unchanged deploy = %+v, want no upload and no change (same hash %s)", again, first.CodeSha256)
	}
	if got := fake.take(); strings.Join(got, ",") != "GET /burst-fn" {
		t.Fatalf("unchanged deploy made calls %q, want only GET /burst-fn", got)
	}

	changed := deploy("-ldflags=-X main.version=2")
	if !changed.Uploaded || !changed.Configured || changed.BuildID == first.BuildID {
		t.Fatalf("changed deploy = %+v, want new code and a new build id stamped", changed)
	}
	got := strings.Join(fake.take(), ",")
	if !strings.Contains(got, "PUT /burst-fn/code") || !strings.Contains(got, "PUT /burst-fn/configuration") {
		t.Fatalf("changed deploy made calls %q, want code and configuration updates", got)
	}
	if fake.zips != 2 {
		t.Fatalf("%d uploads, want 2", fake.zips)
	}
}

func TestDeployNeedsRoleToCreate(t *testing.T) {
	noEnv(t)
	srv := httptest.NewServer(&fakeLambda{})
	defer srv.Close()
	client := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: awssdk.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("dummy", "dummy", "")})
	cfg, err := providers.Parse("burst.yaml", []byte("compute: {backend: aws, function: burst-fn}\naws: {region: us-east-1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = providers.Deploy(context.Background(), cfg, providers.DeployOptions{Package: "./testdata/worker", Client: client})
	if err == nil || !strings.Contains(err.Error(), "aws.role") {
		t.Fatalf("err = %v, want it to ask for aws.role", err)
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
