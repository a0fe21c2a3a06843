package azure_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/burst-dev/burst/pool/azure"
	"github.com/burst-dev/burst/pool/httpfn"
)

// Whatever the host (or anyone) sends, the custom handler never panics and
// never runs an unsigned call.
func FuzzCustomHandler(f *testing.F) {
	f.Add([]byte(`{"Data":{"req":{"Url":"http://x/api/burst","Method":"POST","Headers":{},"Body":"{\"v\":1}"}},"Metadata":{}}`), false)
	f.Add([]byte(`{"Data":{"req":{"Body":{"v":1}}}}`), false)
	f.Add([]byte(`{"v":1}`), true)
	f.Add([]byte(`nonsense`), false)
	h := azure.NewCustomHandler(httpfn.NewHandler([]byte("the secret")))
	f.Fuzz(func(t *testing.T, body []byte, forwarded bool) {
		path := "/burst" // an invocation envelope
		if forwarded {
			path = "/api/burst"
		}
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+path, bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if bytes.Contains(w.Body.Bytes(), []byte(`"statusCode":200`)) || w.Code == http.StatusOK && !bytes.Contains(w.Body.Bytes(), []byte(`"Outputs"`)) {
			t.Fatalf("an unsigned call was answered as run: %d %s", w.Code, w.Body.Bytes())
		}
	})
}
