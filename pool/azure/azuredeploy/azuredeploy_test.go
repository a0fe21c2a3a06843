package azuredeploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/burst-dev/burst/pool/azure/azuredeploy"
)

type staticCredential struct{}

func (staticCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// recorder plays ARM and Kudu for one function app over TLS on loopback.
type recorder struct {
	mu       sync.Mutex
	calls    []string
	settings map[string]string
	zip      []byte
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Web/sites/app")
	rc.calls = append(rc.calls, r.Method+" "+path)
	if r.Header.Get("Authorization") != "Bearer test-token" {
		http.Error(w, `{"error":{"code":"AuthenticationFailed"}}`, http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == "POST" && path == "/config/appsettings/list":
		json.NewEncoder(w).Encode(map[string]any{"properties": rc.settings})
	case r.Method == "PUT" && path == "/config/appsettings":
		var body struct{ Properties map[string]string }
		json.NewDecoder(r.Body).Decode(&body)
		rc.settings = body.Properties
		json.NewEncoder(w).Encode(map[string]any{"properties": rc.settings})
	case r.Method == "POST" && path == "/api/zipdeploy":
		if r.Header.Get("Content-Type") != "application/zip" {
			http.Error(w, "want a zip", http.StatusBadRequest)
			return
		}
		rc.zip, _ = io.ReadAll(r.Body)
	case r.Method == "POST" && path == "/functions/burst/keys/list":
		io.WriteString(w, `{"default":"function-key-1"}`)
	default:
		http.Error(w, `{"error":{"code":"NotFound"}}`, http.StatusNotFound)
	}
}

func TestDeployZipDeploysOnceAndSetsSettings(t *testing.T) {
	rc := &recorder{settings: map[string]string{"AzureWebJobsStorage": "keep-me"}}
	srv := httptest.NewTLSServer(rc)
	defer srv.Close()
	bin := filepath.Join(t.TempDir(), "worker")
	binary := bytes.Repeat([]byte("\x7fELF burst worker "), 1000)
	os.WriteFile(bin, binary, 0o755)
	o := azuredeploy.Options{SubscriptionID: "sub", ResourceGroup: "rg", App: "app", Binary: bin, Secret: []byte("s3cret"),
		SpillURL: "azblob://spill", Credential: staticCredential{}, ManagementEndpoint: srv.URL, SCMEndpoint: srv.URL,
		ClientOptions: policy.ClientOptions{Transport: srv.Client()}}
	for i, want := range []bool{true, false} {
		res, err := azuredeploy.Deploy(context.Background(), o)
		if err != nil {
			t.Fatalf("deploy %d: %v", i+1, err)
		}
		if res.Changed != want || res.Key != "function-key-1" || res.URL != "https://app.azurewebsites.net/api/burst" {
			t.Fatalf("deploy %d = %+v, want changed=%v with URL and key", i+1, res, want)
		}
	}
	want := []string{"POST /config/appsettings/list", "POST /api/zipdeploy", "PUT /config/appsettings", "POST /functions/burst/keys/list",
		"POST /config/appsettings/list", "POST /functions/burst/keys/list"}
	if strings.Join(rc.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(rc.calls, "\n"), strings.Join(want, "\n"))
	}
	for k, v := range map[string]string{"FUNCTIONS_WORKER_RUNTIME": "custom", "BURST_SECRET": "s3cret", "BURST_SPILL_URL": "azblob://spill",
		"AzureWebJobsStorage": "keep-me"} {
		if rc.settings[k] != v {
			t.Errorf("app setting %s = %q, want %q", k, rc.settings[k], v)
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(rc.zip), int64(len(rc.zip)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		r, _ := f.Open()
		files[f.Name], _ = io.ReadAll(r)
		r.Close()
		if f.Name == "burst-worker" && f.Mode()&0o111 == 0 {
			t.Errorf("burst-worker has mode %v, want executable", f.Mode())
		}
	}
	if !bytes.Equal(files["burst-worker"], binary) {
		t.Errorf("burst-worker is not the binary")
	}
	var host struct {
		CustomHandler struct {
			Description                 struct{ DefaultExecutablePath string }
			EnableForwardingHttpRequest bool
		}
	}
	json.Unmarshal(files["host.json"], &host)
	if host.CustomHandler.Description.DefaultExecutablePath != "burst-worker" || !host.CustomHandler.EnableForwardingHttpRequest {
		t.Errorf("host.json = %s, want a forwarding custom handler running burst-worker", files["host.json"])
	}
	if !bytes.Contains(files["burst/function.json"], []byte(`"httpTrigger"`)) {
		t.Errorf("burst/function.json = %s, want an HTTP trigger", files["burst/function.json"])
	}
}

func TestDeployWithoutSecretFails(t *testing.T) {
	_, err := azuredeploy.Deploy(context.Background(), azuredeploy.Options{SubscriptionID: "s", ResourceGroup: "r", App: "a", Credential: staticCredential{}})
	if err == nil || !strings.Contains(err.Error(), "BURST_SECRET") {
		t.Fatalf("err = %v, want one naming BURST_SECRET", err)
	}
}
