package gcpworker_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/burst-dev/burst/pool/gcp/gcpworker"
)

// The function refuses calls that are not signed with BURST_SECRET; without
// the secret it refuses everything.
func ExampleServe() {
	w := httptest.NewRecorder()
	gcpworker.Serve(w, httptest.NewRequest("POST", "/", strings.NewReader(`{"v":1}`)))
	fmt.Println(w.Code)
	// Output: 401
}
