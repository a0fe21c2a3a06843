// Package azuredeploy deploys a burst binary as an Azure Functions app with
// one HTTP-triggered function served by a custom handler: it zips the binary
// with host.json and FUNCTION/function.json, zip-deploys the archive to the
// app's Kudu (SCM) site, sets the app settings the worker needs, and returns
// the trigger URL and function key. Every request goes through an azcore
// pipeline authenticated with an Entra ID token credential (for instance
// azidentity.NewDefaultAzureCredential). The function app itself (a Linux
// consumption or flex plan app) is created once beforehand, see
// docs/providers/azure.md.
package azuredeploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"

	"github.com/burst-dev/burst/pool/azure"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/spill"
)

// Options say what to deploy where.
type Options struct {
	SubscriptionID string
	ResourceGroup  string
	App            string // the function app's name
	Function       string // the HTTP-triggered function's name (default "burst")
	// Binary is the linux/amd64 executable to deploy (default: this
	// executable).
	Binary string
	// Secret is the shared secret (app setting BURST_SECRET).
	Secret []byte
	// SpillURL and SpillThreshold configure the worker's payload store.
	SpillURL       string
	SpillThreshold int
	// Settings adds app settings.
	Settings map[string]string
	// Credential authenticates every request (scope
	// https://management.azure.com/.default).
	Credential azcore.TokenCredential
	// ManagementEndpoint (default https://management.azure.com) and
	// SCMEndpoint (default https://APP.scm.azurewebsites.net) are
	// overridden by tests and sovereign clouds.
	ManagementEndpoint string
	SCMEndpoint        string
	// ClientOptions configure the azcore pipeline (transport, retries).
	ClientOptions policy.ClientOptions
}

// Result is what a deploy leaves behind.
type Result struct {
	Changed bool   // false when the app already ran this archive and settings
	URL     string // the HTTP trigger
	Key     string // the function's default key
}

const apiVersion = "2023-12-01"

// HashSetting is the app setting holding the hash of what was deployed.
const HashSetting = "BURST_DEPLOY_HASH"

// Files returns the archive's files other than the binary: host.json (a
// custom handler with HTTP forwarding) and FUNCTION/function.json.
func Files(function string) []httpfn.ZipEntry {
	host := map[string]any{
		"version": "2.0",
		"customHandler": map[string]any{
			"description":                 map[string]any{"defaultExecutablePath": "burst-worker", "workingDirectory": "", "arguments": []string{}},
			"enableForwardingHttpRequest": true,
		},
		"extensionBundle": map[string]any{"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"},
		"extensions":      map[string]any{"http": map[string]any{"routePrefix": "api"}},
	}
	fn := map[string]any{
		"bindings": []map[string]any{
			{"type": "httpTrigger", "direction": "in", "name": "req", "authLevel": "function", "methods": []string{"post"}},
			{"type": "http", "direction": "out", "name": "res"},
		},
	}
	hb, _ := json.MarshalIndent(host, "", "  ")
	fb, _ := json.MarshalIndent(fn, "", "  ")
	return []httpfn.ZipEntry{{Name: "host.json", Data: hb}, {Name: function + "/function.json", Data: fb}}
}

// Deploy zip-deploys the binary and sets the app settings, unless the app
// already has them (same hash), and returns the trigger URL and key.
func Deploy(ctx context.Context, o Options) (*Result, error) {
	if o.SubscriptionID == "" || o.ResourceGroup == "" || o.App == "" {
		return nil, errors.New("azuredeploy: SubscriptionID, ResourceGroup and App are required")
	}
	if o.Credential == nil {
		return nil, errors.New("azuredeploy: no Credential (use azidentity.NewDefaultAzureCredential)")
	}
	if len(o.Secret) == 0 {
		return nil, fmt.Errorf("azuredeploy: no Secret: the worker refuses every call without %s", httpfn.EnvSecret)
	}
	if o.Function == "" {
		o.Function = "burst"
	}
	if o.ManagementEndpoint == "" {
		o.ManagementEndpoint = "https://management.azure.com"
	}
	if o.SCMEndpoint == "" {
		o.SCMEndpoint = "https://" + o.App + ".scm.azurewebsites.net"
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("azuredeploy: %w", err)
		}
		o.Binary = exe
	}
	archive, err := httpfn.Zip(append(Files(o.Function), httpfn.ZipEntry{Name: "burst-worker", Mode: 0o755, Path: o.Binary}))
	if err != nil {
		return nil, fmt.Errorf("azuredeploy: %w", err)
	}
	settings := map[string]string{"FUNCTIONS_WORKER_RUNTIME": "custom", "FUNCTIONS_EXTENSION_VERSION": "~4", httpfn.EnvSecret: string(o.Secret)}
	if o.SpillURL != "" {
		settings[spill.EnvURL] = o.SpillURL
		if o.SpillThreshold > 0 {
			settings[spill.EnvThreshold] = fmt.Sprint(o.SpillThreshold)
		}
	}
	for k, v := range o.Settings {
		settings[k] = v
	}
	h := sha256.New()
	h.Write(archive)
	for _, k := range sortedKeys(settings) {
		fmt.Fprintf(h, "\n%s=%s", k, settings[k])
	}
	hash := hex.EncodeToString(h.Sum(nil)[:16])

	pl := runtime.NewPipeline("burst/azuredeploy", "v1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(o.Credential, []string{"https://management.azure.com/.default"}, nil)},
	}, &o.ClientOptions)
	site := fmt.Sprintf("%s/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/sites/%s",
		strings.TrimRight(o.ManagementEndpoint, "/"), o.SubscriptionID, o.ResourceGroup, o.App)
	res := &Result{URL: azure.TriggerURL(o.App, o.Function)}

	current := map[string]string{}
	if err := call(ctx, pl, http.MethodPost, site+"/config/appsettings/list?api-version="+apiVersion, nil, "", &struct {
		Properties *map[string]string `json:"properties"`
	}{&current}); err != nil {
		return nil, err
	}
	if current[HashSetting] != hash {
		res.Changed = true
		// The archive first: settings carry the hash, so they must only
		// claim a deploy that happened.
		if err := call(ctx, pl, http.MethodPost, strings.TrimRight(o.SCMEndpoint, "/")+"/api/zipdeploy", archive, "application/zip", nil); err != nil {
			return nil, err
		}
		for k, v := range settings {
			current[k] = v
		}
		current[HashSetting] = hash
		if err := call(ctx, pl, http.MethodPut, site+"/config/appsettings?api-version="+apiVersion, nil, "",
			nil, map[string]any{"properties": current}); err != nil {
			return nil, err
		}
	}
	var keys struct {
		Default string `json:"default"`
	}
	if err := call(ctx, pl, http.MethodPost, site+"/functions/"+o.Function+"/keys/list?api-version="+apiVersion, nil, "", &keys); err != nil {
		return nil, err
	}
	res.Key = keys.Default
	return res, nil
}

// call sends one request through the pipeline: a raw body with its content
// type, or jsonBody as JSON; the answer is decoded into out when non-nil.
func call(ctx context.Context, pl runtime.Pipeline, method, url string, body []byte, ctype string, out any, jsonBody ...any) error {
	req, err := runtime.NewRequest(ctx, method, url)
	if err != nil {
		return fmt.Errorf("azuredeploy: %w", err)
	}
	switch {
	case len(jsonBody) > 0:
		if err := runtime.MarshalAsJSON(req, jsonBody[0]); err != nil {
			return fmt.Errorf("azuredeploy: %w", err)
		}
	case body != nil:
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(body)), ctype); err != nil {
			return fmt.Errorf("azuredeploy: %w", err)
		}
	}
	resp, err := pl.Do(req)
	if err != nil {
		return fmt.Errorf("azuredeploy: %s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	if !runtime.HasStatusCode(resp, http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent) {
		return fmt.Errorf("azuredeploy: %s %s: %w", method, url, runtime.NewResponseError(resp))
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return fmt.Errorf("azuredeploy: %s %s: undecodable answer: %w", method, url, err)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
