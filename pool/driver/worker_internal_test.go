package driver

import (
	"context"
	"testing"

	"github.com/burst-dev/burst/internal/registry"
)

func TestExplicitWorkerModeWinsOverPlatformMode(t *testing.T) {
	saved := workerModes
	defer func() { workerModes = saved }()
	workerModes = registry.New[workerMode]("pool: worker mode")
	serve := func(context.Context) error { return nil }
	yes := func() bool { return true }
	RegisterWorker("platform", yes, serve) // registered first, detected too
	RegisterExplicitWorker("driver-started", yes, serve)
	if m, ok := detectMode(); !ok || m.name != "driver-started" {
		t.Fatalf("detectMode = %q, %v; want the explicit mode", m.name, ok)
	}
	workerModes = registry.New[workerMode]("pool: worker mode")
	RegisterWorker("platform", yes, serve)
	RegisterExplicitWorker("driver-started", func() bool { return false }, serve)
	if m, ok := detectMode(); !ok || m.name != "platform" {
		t.Fatalf("detectMode = %q, %v; want the platform mode when no explicit one matches", m.name, ok)
	}
}
