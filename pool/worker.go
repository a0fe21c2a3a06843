package pool

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

type workerMode struct {
	name   string
	detect func() bool
	serve  func(ctx context.Context) error
}

var workerModes struct {
	sync.Mutex
	list []workerMode
}

// RegisterWorker tells Main how to recognise that this process was started as
// a worker of some backend (an environment variable the platform or the
// driver sets) and how to serve calls then. Backend packages call it from
// init; modes are tried in registration order.
func RegisterWorker(name string, detect func() bool, serve func(ctx context.Context) error) {
	workerModes.Lock()
	defer workerModes.Unlock()
	workerModes.list = append(workerModes.list, workerMode{name, detect, serve})
}

// Main must be the first statement of main. When the process was started as
// a worker it serves calls to the registered functions until told to stop and
// then exits, never returning; otherwise it returns at once.
func Main() {
	workerModes.Lock()
	modes := append([]workerMode(nil), workerModes.list...)
	workerModes.Unlock()
	for _, m := range modes {
		if !m.detect() {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := m.serve(ctx)
		stop()
		if err != nil {
			slog.Error("burst worker stopped", "mode", m.name, "err", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}
