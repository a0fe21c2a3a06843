package codec

import (
	"fmt"
	"reflect"
	"sync"
	"time"
)

// registered maps the types that may travel inside an interface to their
// names and back: the only way a receiver can tell which type to make.
var registered struct {
	sync.RWMutex
	byName map[string]reflect.Type
	byType map[reflect.Type]string
}

func init() {
	for _, v := range []any{
		false, 0, int8(0), int16(0), int32(0), int64(0),
		uint(0), uint8(0), uint16(0), uint32(0), uint64(0), uintptr(0),
		float32(0), float64(0), complex64(0), complex128(0), "",
		[]byte(nil), []any(nil), map[string]any(nil), []string(nil), []int(nil), []float64(nil),
		time.Time{}, time.Duration(0),
	} {
		Register(v)
	}
}

// Register lets values of v's type travel inside interfaces (an any field, a
// []any) under Binary, as gob.Register does for gob: the receiver learns
// the value's type from its registered name. Call it from init, or in a
// package-level variable declared before the pool.Register whose types hold
// the interface. Registering a type twice is harmless; a type Check refuses
// panics. It returns v, so it can be used as `var _ = codec.Register(T{})`.
func Register(v any) any {
	t := reflect.TypeOf(v)
	if t == nil {
		panic("codec: Register(nil)")
	}
	if err := Check(t); err != nil {
		panic(fmt.Sprintf("codec: Register(%s): %v", t, err))
	}
	name := t.String()
	if t.Name() != "" && t.PkgPath() != "" {
		name = t.PkgPath() + "." + t.Name() // t.String() shortens the path to its last element
	}
	registered.Lock()
	defer registered.Unlock()
	if registered.byName == nil {
		registered.byName = map[string]reflect.Type{}
		registered.byType = map[reflect.Type]string{}
	}
	if old, ok := registered.byName[name]; ok && old != t {
		panic(fmt.Sprintf("codec: Register: two types are named %s", name))
	}
	registered.byName[name] = t
	registered.byType[t] = name
	return v
}

func registeredName(t reflect.Type) (string, bool) {
	registered.RLock()
	defer registered.RUnlock()
	n, ok := registered.byType[t]
	return n, ok
}

func registeredType(name string) (reflect.Type, bool) {
	registered.RLock()
	defer registered.RUnlock()
	t, ok := registered.byName[name]
	return t, ok
}

func anyRegisteredImplements(iface reflect.Type) bool {
	registered.RLock()
	defer registered.RUnlock()
	for t := range registered.byType {
		if t.Implements(iface) {
			return true
		}
	}
	return false
}
