package pool

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/burst-dev/burst/internal/inworker"
	"github.com/burst-dev/burst/pool/driver"
)

// Main must be the first statement of main. When the process was started as
// a worker it serves calls to the registered functions until told to stop and
// then exits, never returning; otherwise it returns at once.
func Main() {
	name, serve, ok := driver.WorkerMode()
	if !ok {
		return
	}
	inworker.Set(name)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := serve(ctx)
	stop()
	if err != nil {
		slog.Error("burst worker stopped", "mode", name, "err", err)
		os.Exit(1)
	}
	os.Exit(0)
}
