package openwhisk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"time"

	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/spill"
)

// DeployOptions say what to deploy as the action named by Options.
type DeployOptions struct {
	Options
	// Binary is the linux executable to deploy (default: this executable;
	// cross-compile with CGO_ENABLED=0 GOOS=linux when driving from elsewhere).
	Binary string
	// Kind is the runtime kind (default "go:1.22"): its action-loop proxy
	// runs a zip's precompiled exec as it is.
	Kind string
	// ExecutionEnv, when set, is written to exec.env: runtimes that set
	// OW_EXECUTION_ENV refuse an exec whose exec.env does not start with it.
	ExecutionEnv string
	// Memory in MB (default 256); Timeout per activation (default 60 s).
	Memory  int
	Timeout time.Duration
	// SpillURL and SpillThreshold configure the payload store the worker
	// shares with the driver (BURST_SPILL_URL, BURST_SPILL_THRESHOLD).
	SpillURL       string
	SpillThreshold int
	// Env adds environment variables to the action.
	Env map[string]string
	// Uncompressed stores the binary in the archive without compression.
	Uncompressed bool
}

// Deploy creates or updates the action with the binary, returning whether
// anything changed: an action whose burst-hash annotation matches the
// archive and settings is left alone. The secret and the other settings are
// passed as init parameters, which the action-loop proxy sets as the
// action's environment.
func Deploy(ctx context.Context, d DeployOptions) (changed bool, err error) {
	b, err := New(d.Options)
	if err != nil {
		return false, err
	}
	if d.Binary == "" {
		if d.Binary, err = os.Executable(); err != nil {
			return false, fmt.Errorf("openwhisk deploy: %w", err)
		}
	}
	if d.Kind == "" {
		d.Kind = "go:1.22"
	}
	if d.Memory == 0 {
		d.Memory = 256
	}
	if d.Timeout == 0 {
		d.Timeout = time.Minute
	}
	entries := []httpfn.ZipEntry{{Name: "exec", Mode: 0o755, Path: d.Binary, Store: d.Uncompressed}}
	if d.ExecutionEnv != "" {
		entries = append(entries, httpfn.ZipEntry{Name: "exec.env", Data: []byte(d.ExecutionEnv)})
	}
	archive, err := httpfn.Zip(entries)
	if err != nil {
		return false, fmt.Errorf("openwhisk deploy: %w", err)
	}
	env := map[string]string{EnvWorker: "1", httpfn.EnvSecret: string(d.Secret)}
	if d.SpillURL != "" {
		env[spill.EnvURL] = d.SpillURL
		if d.SpillThreshold > 0 {
			env[spill.EnvThreshold] = fmt.Sprint(d.SpillThreshold)
		}
	}
	for k, v := range d.Env {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write(archive)
	fmt.Fprintf(h, "\n%s %d %d\n", d.Kind, d.Memory, d.Timeout.Milliseconds())
	type param struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
		Init  bool   `json:"init,omitempty"`
	}
	var params []param
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, env[k])
		params = append(params, param{Key: k, Value: env[k], Init: true})
	}
	hash := hex.EncodeToString(h.Sum(nil)[:16])

	actionURL := d.APIHost + "/api/v1/namespaces/" + url.PathEscape(b.o.Namespace) + "/actions/" + d.Action
	do := func(method, u string, body []byte) (int, []byte, error) {
		r, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		r.Header.Set("Content-Type", "application/json")
		b.Client.Authorize(ctx, r)
		res, err := b.Client.HTTP.Do(r)
		if err != nil {
			return 0, nil, fmt.Errorf("openwhisk deploy: %s %s: %w", method, u, err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return res.StatusCode, out, nil
	}
	status, body, err := do(http.MethodGet, actionURL+"?code=false", nil)
	if err != nil {
		return false, err
	}
	if status == http.StatusOK {
		var a struct {
			Annotations []param `json:"annotations"`
		}
		json.Unmarshal(body, &a)
		for _, an := range a.Annotations {
			if v, _ := an.Value.(string); an.Key == "burst-hash" && v == hash {
				return false, nil
			}
		}
	} else if status != http.StatusNotFound {
		return false, fmt.Errorf("openwhisk deploy: GET %s: %d: %.300s", actionURL, status, body)
	}
	action := map[string]any{
		"exec":        map[string]any{"kind": d.Kind, "code": base64.StdEncoding.EncodeToString(archive), "binary": true},
		"parameters":  params,
		"limits":      map[string]any{"timeout": d.Timeout.Milliseconds(), "memory": d.Memory},
		"annotations": []param{{Key: "burst-hash", Value: hash}, {Key: "provide-api-key", Value: false}},
	}
	payload, _ := json.Marshal(action)
	status, body, err = do(http.MethodPut, actionURL+"?overwrite=true", payload)
	if err != nil {
		return false, err
	}
	if status != http.StatusOK {
		return false, fmt.Errorf("openwhisk deploy: PUT %s: %d: %.300s", actionURL, status, body)
	}
	return true, nil
}
