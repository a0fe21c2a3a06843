package azure

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// EnvPort is how the Functions host tells a custom handler where to listen.
const EnvPort = "FUNCTIONS_CUSTOMHANDLER_PORT"

func init() {
	driver.RegisterWorker("azure", func() bool { return os.Getenv(EnvPort) != "" }, serve)
}

func serve(ctx context.Context) error {
	h, err := httpfn.HandlerFromEnv(ctx, httpfn.SpillBelow(DefaultMaxMessage))
	if err != nil {
		return err
	}
	// The host reaches its custom handler on loopback; nothing else should.
	addr, err := httpfn.ListenAddr(EnvPort, "127.0.0.1")
	if err != nil {
		return err
	}
	driver.SetWorkerID(httpfn.WorkerID("azure", "WEBSITE_INSTANCE_ID", "COMPUTERNAME"))
	return httpfn.ListenAndServe(ctx, addr, NewCustomHandler(h))
}

// The Functions host talks to a custom handler in one of two ways, as
// described in Microsoft's "Azure Functions custom handlers" documentation
// (learn.microsoft.com/azure/azure-functions/functions-custom-handlers,
// sections "Request payload", "Response payload" and "HTTP-only function"):
//
//   - With "enableForwardingHttpRequest": true in host.json (what
//     azuredeploy writes), an HTTP trigger's request is forwarded as it came:
//     same method, path (/api/FUNCTION), headers and body.
//   - Otherwise the host POSTs an invocation envelope to /FUNCTION:
//     {"Data":{"req":{"Url","Method","Query","Headers":{name:[values]},"Params","Body"}},"Metadata":{…}}
//     and expects {"Outputs":{"res":{"statusCode","headers","body"}},"Logs":[…],"ReturnValue":…}
//     back, "res" being the name of the HTTP output binding.

// invocation is the host's request envelope for an HTTP trigger named "req".
type invocation struct {
	Data struct {
		Req *struct {
			URL     string              `json:"Url"`
			Method  string              `json:"Method"`
			Headers map[string][]string `json:"Headers"`
			Body    json.RawMessage     `json:"Body"`
		} `json:"req"`
	} `json:"Data"`
	Metadata json.RawMessage `json:"Metadata"`
}

// invocationResult is the custom handler's answer to an invocation.
type invocationResult struct {
	Outputs struct {
		Res httpOutput `json:"res"`
	} `json:"Outputs"`
	Logs        []string `json:"Logs"`
	ReturnValue any      `json:"ReturnValue"`
}

type httpOutput struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// NewCustomHandler returns the custom handler's HTTP server: forwarded
// requests (they carry the signature headers) go to h as they are;
// invocation envelopes are unpacked, run through h, and packed again.
func NewCustomHandler(h *httpfn.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(httpfn.HeaderSignature) != "" || strings.HasPrefix(r.URL.Path, "/api/") {
			h.ServeHTTP(w, r)
			return
		}
		// The invocation envelope comes from the Functions host, unsigned
		// itself; its body still counts against the handler's memory bound.
		data, release, status, err := h.ReadBody(w, r)
		if err != nil {
			httpfn.WriteError(w, status, err.Error(), false)
			return
		}
		defer release()
		var inv invocation
		if err := json.Unmarshal(data, &inv); err != nil || inv.Data.Req == nil {
			httpfn.WriteError(w, http.StatusBadRequest,
				`burst worker: not an HTTP invocation envelope ({"Data":{"req":{…}}}) and not a signed forwarded call`, false)
			return
		}
		req := inv.Data.Req
		body := []byte(req.Body)
		// The host passes a body as a JSON string; anything else is taken
		// as the raw bytes it sent.
		var s string
		if json.Unmarshal(req.Body, &s) == nil {
			body = []byte(s)
		}
		hdr := http.Header{}
		for k, vs := range req.Headers {
			for _, v := range vs {
				hdr.Add(k, v)
			}
		}
		status, out := h.Answer(r.Context(), body, httpfn.SignatureFromHeader(hdr))
		var res invocationResult
		res.Outputs.Res = httpOutput{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(out)}
		res.Logs = []string{}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(&res)
	})
}
