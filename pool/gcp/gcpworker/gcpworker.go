// Package gcpworker is the worker side of the gcp backend: the HTTP function
// that Cloud Run functions (gen2) runs. Importing it registers the function
// with the Functions Framework under EntryPoint, which is all the generated
// main of Google's Go buildpack needs; and it teaches pool.Main to serve with
// the Functions Framework on $PORT when FUNCTION_TARGET is set, for running
// the same binary as a function anywhere else (a container, a test).
//
// The function reads the shared secret from BURST_SECRET and refuses every
// call that is not signed with it.
package gcpworker

import (
	"context"
	"net/http"
	"os"
	"sync"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// EntryPoint is the function's name, the deploy's entry point and the
// FUNCTION_TARGET the platform sets.
const EntryPoint = "BurstCall"

var handler = sync.OnceValues(func() (*httpfn.Handler, error) {
	driver.SetWorkerID(httpfn.WorkerID("gcp", "K_REVISION"))
	return httpfn.HandlerFromEnv(context.Background(), httpfn.SpillBelow(32<<20)) // Cloud Run functions: 32 MiB per response
})

// Serve is the HTTP function: it verifies and runs one call.
func Serve(w http.ResponseWriter, r *http.Request) {
	h, err := handler()
	if err != nil {
		// Fail closed: a function deployed without its secret runs nothing.
		httpfn.WriteError(w, http.StatusUnauthorized, "burst worker: "+err.Error(), true)
		return
	}
	h.ServeHTTP(w, r)
}

func init() {
	functions.HTTP(EntryPoint, Serve)
	driver.RegisterWorker("gcp", func() bool { return os.Getenv("FUNCTION_TARGET") != "" }, serve)
}

func serve(ctx context.Context) error {
	if _, err := handler(); err != nil {
		return err
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	done := make(chan error, 1)
	go func() { done <- funcframework.StartHostPort(os.Getenv(httpfn.EnvListenHost), port) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// The platform stops instances with SIGTERM; the framework has no
		// graceful stop, and calls in flight are retried by the driver.
		return nil
	}
}
