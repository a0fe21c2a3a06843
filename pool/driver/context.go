package driver

import (
	"context"
	"fmt"
	"sort"

	"github.com/burst-dev/burst/internal/registry"
)

// A ContextHook turns a call value into the function's context: it runs in
// the worker before each call that carries a value under its name (and, for
// direct local:// calls, in the driver), so a function can reach what the
// driver set up (providers.FromContext) without a global.
type ContextHook func(ctx context.Context, value string) (context.Context, error)

var hooks = registry.New[ContextHook]("pool: context hook")

// RegisterContextHook registers hook for call values named name. Packages
// call it from init; a name registered twice panics.
func RegisterContextHook(name string, hook ContextHook) { hooks.Register(name, hook) }

// ApplyContextHooks runs the hook of each value, in name order. A value with
// no hook in this binary is an error: the driver meant the function to have
// something this worker cannot give it.
func ApplyContextHooks(ctx context.Context, values map[string]string) (context.Context, error) {
	if len(values) == 0 {
		return ctx, nil
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h, ok := hooks.Lookup(n)
		if !ok || h == nil {
			return ctx, fmt.Errorf("call value %q has no context hook in this worker (is the package that sets it imported?)", n)
		}
		var err error
		if ctx, err = h(ctx, values[n]); err != nil {
			return ctx, fmt.Errorf("call value %q: %w", n, err)
		}
	}
	return ctx, nil
}
