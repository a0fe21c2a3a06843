package httpfn_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http/httptest"
	"time"

	"github.com/burst-dev/burst/pool/httpfn"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// A worker refuses a call that is not signed with the shared secret.
func ExampleHandler() {
	h := httpfn.NewHandler([]byte("shared secret"))
	body := []byte(`{"v":1,"func":"nope","job":"j","id":1,"attempt":1,"codec":"json"}`)

	unsigned := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, unsigned)
	fmt.Println("unsigned:", w.Code)

	signed := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	httpfn.Sign([]byte("shared secret"), body, time.Now()).SetHeader(signed.Header)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, signed)
	fmt.Println("signed:", w.Code)
	// Output:
	// unsigned: 401
	// signed: 200
}
