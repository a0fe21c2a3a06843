package httpfn_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/burst-dev/burst/pool/httpfn"
)

// Whatever arrives, a worker never panics and never runs a call that is not
// signed with its secret.
func FuzzHandlerRefusesUnsigned(f *testing.F) {
	f.Add([]byte(`{"v":1,"func":"httpfn.upper","job":"j","id":1,"attempt":1,"codec":"json","input":"a"}`), "1", "00", "ab")
	f.Add([]byte(``), "", "", "")
	f.Add([]byte(`{`), "99999999999999999999", "x", "zz")
	h := httpfn.NewHandler([]byte("the secret"))
	f.Fuzz(func(t *testing.T, body []byte, ts, nonce, sig string) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set(httpfn.HeaderTimestamp, ts)
		r.Header.Set(httpfn.HeaderNonce, nonce)
		r.Header.Set(httpfn.HeaderSignature, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d for a call not signed with the secret, want 401", w.Code)
		}
	})
}
