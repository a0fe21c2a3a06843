package httpfntest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
)

// PostTo sends an envelope as the driver does; a worker without the signature
// refuses it.
func ExamplePostTo() {
	srv := httptest.NewServer(httpfn.NewHandler([]byte(httpfntest.Secret)))
	defer srv.Close()
	ran, refused, err := httpfntest.PostTo(srv.URL)(context.Background(), []byte(`{"v":1}`), nil)
	fmt.Println(ran, refused, err)
	// Output: false true <nil>
}
