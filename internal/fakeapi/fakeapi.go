// Package fakeapi holds recording fakes of the cloud control-plane APIs the
// deployers talk to where no emulator exists (IBM Code Engine v2, the
// Kubernetes API for Knative Services): on loopback, in memory, strict
// about what the real API checks (tokens, ETags, resource versions), and
// recording every call so a test can assert "nothing was updated".
package fakeapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// The fakes accept these tokens and serve these collections only.
const (
	CodeEngineProject = "proj-1"
	CodeEngineToken   = "iam-token"
	CodeEngineAPIKey  = "ibm-api-key"
	KubeNamespace     = "burst"
	KubeToken         = "kube-token"
)

// NewCodeEngine and NewKube return empty fakes. CodeEngine also answers
// IAM's token exchange at /identity/token for CodeEngineAPIKey.
func NewCodeEngine() *CodeEngine { return &CodeEngine{Apps: map[string]map[string]any{}} }
func NewKube() *Kube             { return &Kube{Services: map[string]map[string]any{}} }

// recorder holds a fake's lock and the calls it served ("METHOD path"),
// which its ServeHTTP records under the lock.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

// Take returns the calls recorded since the last Take, joined by ", ".
func (r *recorder) Take() string { return strings.Join(r.take(), ", ") }

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// CodeEngine is the part of the Code Engine v2 API a deploy uses
// (GET/POST/PATCH of a project's apps), on loopback, keeping apps in memory
// and recording every call.
type CodeEngine struct {
	recorder
	Apps map[string]map[string]any
	etag int
}

func (f *CodeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/identity/token" {
		// IAM's API-key grant, so a deploy given an API key can run
		// against the fake end to end.
		if r.PostFormValue("apikey") != CodeEngineAPIKey {
			http.Error(w, `{"errorCode":"BXNIM0415E"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, CodeEngineToken)
		return
	}
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+CodeEngineToken {
		http.Error(w, `{"errors":[{"code":"unauthorized"}]}`, http.StatusUnauthorized)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/projects/"+CodeEngineProject+"/apps")
	if !ok {
		http.Error(w, "no such project", http.StatusNotFound)
		return
	}
	var body map[string]any
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	reply := func(code int, a map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(a)
	}
	name := strings.TrimPrefix(rest, "/")
	switch {
	case r.Method == http.MethodPost && name == "":
		n := body["name"].(string)
		f.etag++
		body["entity_tag"] = string(rune('0' + f.etag))
		body["endpoint"] = "https://" + n + ".proj.us-south.codeengine.appdomain.cloud"
		f.Apps[n] = body
		reply(http.StatusCreated, body)
	case f.Apps[name] == nil:
		http.Error(w, `{"errors":[{"code":"app_not_found"}]}`, http.StatusNotFound)
	case r.Method == http.MethodGet:
		reply(http.StatusOK, f.Apps[name])
	case r.Method == http.MethodPatch:
		if r.Header.Get("If-Match") != f.Apps[name]["entity_tag"] {
			http.Error(w, "etag mismatch", http.StatusPreconditionFailed)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/merge-patch+json" {
			http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
			return
		}
		for k, v := range body {
			f.Apps[name][k] = v
		}
		f.etag++
		f.Apps[name]["entity_tag"] = string(rune('0' + f.etag))
		reply(http.StatusOK, f.Apps[name])
	default:
		http.Error(w, "unexpected", http.StatusMethodNotAllowed)
	}
}

// Kube is the part of the Kubernetes API a deploy uses (GET, POST and
// PUT of serving.knative.dev/v1 Services), on loopback, keeping Services in
// memory, enforcing resourceVersion on replace, and recording every call.
type Kube struct {
	recorder
	Services map[string]map[string]any
	version  int
}

// KubeServices is the collection the fake serves.
const KubeServices = "/apis/serving.knative.dev/v1/namespaces/" + KubeNamespace + "/services"

func (f *Kube) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+KubeToken {
		http.Error(w, `{"kind":"Status","code":401}`, http.StatusUnauthorized)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, KubeServices)
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
		f.Services[n] = body
		reply(http.StatusCreated, body)
	case f.Services[name] == nil:
		http.Error(w, `{"kind":"Status","code":404}`, http.StatusNotFound)
	case r.Method == http.MethodGet:
		reply(http.StatusOK, f.Services[name])
	case r.Method == http.MethodPut:
		if body["metadata"].(map[string]any)["resourceVersion"] != f.Services[name]["metadata"].(map[string]any)["resourceVersion"] {
			http.Error(w, `{"kind":"Status","code":409}`, http.StatusConflict)
			return
		}
		stamp(body)
		f.Services[name] = body
		reply(http.StatusOK, body)
	default:
		http.Error(w, "unexpected", http.StatusMethodNotAllowed)
	}
}

// WhiskAuth is the uuid:key the Whisk fake accepts.
const WhiskAuth = "uuid-1:whisk-key"

// Whisk is the action part of the OpenWhisk REST API: actions PUT with
// overwrite=true are stored and read back (without code when code=false),
// with basic authentication.
type Whisk struct {
	recorder
	Actions map[string]map[string]any
}

// NewWhisk returns an empty fake.
func NewWhisk() *Whisk { return &Whisk{Actions: map[string]map[string]any{}} }

func (f *Whisk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	u, p, _ := r.BasicAuth()
	if u+":"+p != WhiskAuth {
		http.Error(w, `{"error":"The supplied authentication is invalid"}`, http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case http.MethodGet:
		a, ok := f.Actions[r.URL.Path]
		if !ok {
			http.Error(w, `{"error":"The requested resource does not exist."}`, http.StatusNotFound)
			return
		}
		out := map[string]any{}
		for k, v := range a {
			out[k] = v
		}
		if r.URL.Query().Get("code") == "false" {
			exec := map[string]any{}
			for k, v := range a["exec"].(map[string]any) {
				if k != "code" {
					exec[k] = v
				}
			}
			out["exec"] = exec
		}
		json.NewEncoder(w).Encode(out)
	case http.MethodPut:
		if r.URL.Query().Get("overwrite") != "true" {
			http.Error(w, `{"error":"resource already exists"}`, http.StatusConflict)
			return
		}
		var a map[string]any
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.Actions[r.URL.Path] = a
		json.NewEncoder(w).Encode(a)
	default:
		http.Error(w, "unexpected", http.StatusMethodNotAllowed)
	}
}

// Lambda is the Lambda control-plane API (GetFunction, CreateFunction,
// UpdateFunctionCode, UpdateFunctionConfiguration) as a recording fake that
// keeps one function, burst-fn, in memory.
type Lambda struct {
	recorder
	Fn   map[string]any // FunctionConfiguration as JSON fields; nil until created
	zips int
}

func (f *Lambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		f.Fn["CodeSha256"] = sha(zipped)
	}
	switch {
	case r.Method == http.MethodPost && path == "":
		f.Fn = map[string]any{"FunctionName": body["FunctionName"], "MemorySize": body["MemorySize"], "Timeout": body["Timeout"],
			"Environment": body["Environment"], "Role": body["Role"], "Runtime": body["Runtime"], "Architectures": body["Architectures"],
			"State": "Active", "LastUpdateStatus": "Successful"}
		setCode(body["Code"].(map[string]any)["ZipFile"])
		reply(f.Fn)
	case f.Fn == nil:
		notFound()
	case r.Method == http.MethodGet && path == "/burst-fn":
		reply(map[string]any{"Configuration": f.Fn})
	case r.Method == http.MethodGet && path == "/burst-fn/configuration":
		reply(f.Fn)
	case r.Method == http.MethodPut && path == "/burst-fn/code":
		setCode(body["ZipFile"])
		reply(f.Fn)
	case r.Method == http.MethodPut && path == "/burst-fn/configuration":
		for _, k := range []string{"MemorySize", "Timeout", "Environment"} {
			if v, ok := body[k]; ok {
				f.Fn[k] = v
			}
		}
		reply(f.Fn)
	default:
		notFound()
	}
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(h[:])
}

// Take returns the calls recorded since the last Take.
func (f *Lambda) Take() []string { return f.take() }

// Zips is how many code uploads arrived.
func (f *Lambda) Zips() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.zips
}

// NewLambda returns a fake with no function.
func NewLambda() *Lambda { return &Lambda{} }
