package httpfn

import (
	"context"

	"github.com/burst-dev/burst/pool/driver"
)

// ServeEnv is the whole worker of a platform that runs an HTTP server
// listening on the port in portEnv: it names the worker after the platform,
// reads the secret and payload store from the environment (spilling results
// over spillAt bytes by default) and serves until ctx ends.
func ServeEnv(ctx context.Context, platform, portEnv, defaultHost string, spillAt int, idEnvs ...string) error {
	h, err := HandlerFromEnv(ctx, spillAt)
	if err != nil {
		return err
	}
	addr, err := ListenAddr(portEnv, defaultHost)
	if err != nil {
		return err
	}
	driver.SetWorkerID(WorkerID(platform, idEnvs...))
	return ListenAndServe(ctx, addr, h)
}
