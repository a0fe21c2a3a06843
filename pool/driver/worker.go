package driver

import (
	"context"
	"slices"

	"github.com/burst-dev/burst/internal/registry"
)

type workerMode struct {
	name     string
	explicit bool
	detect   func() bool
	serve    func(ctx context.Context) error
}

// workerModes holds the modes in registration order, the order Main tries
// them in (after the explicit ones).
var workerModes = registry.New[workerMode]("pool: worker mode")

// RegisterWorker tells pool.Main how to recognise that this process was
// started as a worker of some backend (an environment variable the platform
// sets) and how to serve calls then. Backend packages call it from init;
// modes are tried in registration order; a name registered twice panics.
func RegisterWorker(name string, detect func() bool, serve func(ctx context.Context) error) {
	workerModes.Register(name, workerMode{name: name, detect: detect, serve: serve})
}

// RegisterExplicitWorker is RegisterWorker for modes whose marker a burst
// driver sets itself when it starts the worker (process:// does). Main tries
// them before every platform-detected mode, because such a worker inherits
// its driver's environment: a driver running inside Cloud Run or Lambda
// passes the platform's variables on to its children, which must still serve
// their driver rather than the platform.
func RegisterExplicitWorker(name string, detect func() bool, serve func(ctx context.Context) error) {
	workerModes.Register(name, workerMode{name: name, explicit: true, detect: detect, serve: serve})
}

// WorkerMode returns the worker mode this process was started in, if any:
// explicit modes first, then platform modes, each in registration order.
// pool.Main serves calls with serve when ok.
func WorkerMode() (name string, serve func(ctx context.Context) error, ok bool) {
	m, ok := detectMode()
	return m.name, m.serve, ok
}

// StartedAsWorker returns the name of the explicit mode (one whose marker a
// burst driver or launcher set) this process was started in, if any. A
// driver that finds itself so started has a main that did not call
// pool.Main first: it would open pools of its own instead of serving.
func StartedAsWorker() (name string, ok bool) {
	m, ok := detectMode()
	return m.name, ok && m.explicit
}

func detectMode() (workerMode, bool) {
	modes := workerModes.Values()
	slices.SortStableFunc(modes, func(a, b workerMode) int {
		switch {
		case a.explicit == b.explicit:
			return 0
		case a.explicit:
			return -1
		}
		return 1
	})
	for _, m := range modes {
		if m.detect() {
			return m, true
		}
	}
	return workerMode{}, false
}
