package driver

import (
	"context"
	"testing"
)

func TestExplicitWorkerModeWinsOverPlatformMode(t *testing.T) {
	workerModes.Lock()
	saved := workerModes.list
	workerModes.list = nil
	workerModes.Unlock()
	defer func() {
		workerModes.Lock()
		workerModes.list = saved
		workerModes.Unlock()
	}()
	serve := func(context.Context) error { return nil }
	yes := func() bool { return true }
	RegisterWorker("platform", yes, serve) // registered first, detected too
	RegisterExplicitWorker("driver-started", yes, serve)
	if m, ok := detectMode(); !ok || m.name != "driver-started" {
		t.Fatalf("detectMode = %q, %v; want the explicit mode", m.name, ok)
	}
	workerModes.Lock()
	workerModes.list = workerModes.list[:1]
	workerModes.Unlock()
	if m, ok := detectMode(); !ok || m.name != "platform" {
		t.Fatalf("detectMode = %q, %v; want the platform mode when no explicit one matches", m.name, ok)
	}
}
