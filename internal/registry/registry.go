// Package registry is the one name-to-value table behind burst's Register
// functions: backend schemes, worker modes, capabilities, config sections,
// deployers, context hooks and functions in pool/driver, shared drivers,
// remd engines and built-in codecs. Packages fill it from init, as
// database/sql's drivers do, and read it for the rest of the program's life.
//
// A name given twice, or an empty one, is a build mistake (two packages
// claiming one scheme), so Register panics at start-up rather than letting
// one silently win; Names is sorted so that an error listing what is
// accepted reads the same on every run.
package registry

import (
	"fmt"
	"slices"
	"sync"
)

// A Registry maps names to values of type V. The zero value is not usable:
// make one with New. It is safe for concurrent use.
type Registry[V any] struct {
	kind  string // what a name names, for panics: "pool: backend scheme"
	mu    sync.RWMutex
	m     map[string]V
	order []string // registration order, for Values
}

// New returns an empty registry whose panics call its names kind, e.g.
// "pool: backend scheme" gives `pool: backend scheme "x" registered twice`.
func New[V any](kind string) *Registry[V] {
	return &Registry[V]{kind: kind, m: map[string]V{}}
}

// Register adds v under name. It panics when name is empty or taken.
func (r *Registry[V]) Register(name string, v V) {
	if name == "" {
		panic(r.kind + " registered with an empty name")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[name]; dup {
		panic(fmt.Sprintf("%s %q registered twice", r.kind, name))
	}
	r.m[name] = v
	r.order = append(r.order, name)
}

// Lookup returns the value registered under name.
func (r *Registry[V]) Lookup(name string) (V, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[name]
	return v, ok
}

// Names returns the registered names, sorted.
func (r *Registry[V]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := slices.Clone(r.order)
	slices.Sort(names)
	return names
}

// Values returns the registered values in registration order, for tables
// whose order means something (worker modes are tried in that order).
func (r *Registry[V]) Values() []V {
	r.mu.RLock()
	defer r.mu.RUnlock()
	vs := make([]V, len(r.order))
	for i, n := range r.order {
		vs[i] = r.m[n]
	}
	return vs
}
