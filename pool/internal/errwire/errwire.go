// Package errwire carries an error's identity across a process boundary: the
// tree of errors it wraps, each node with its message, and, where the
// receiver can rebuild it, the node itself: a registered sentinel comes back
// as the very same value (so errors.Is holds), a registered type comes back
// as a value of that type (so errors.As finds it). Nodes the receiver cannot
// rebuild come back as generic errors with the same message that still wrap
// their children, so an fs.ErrNotExist under an unknown wrapper is found.
package errwire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"sync"
	"syscall"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/pool/driver"
)

// Node is one error of the tree, as it travels (JSON inside the result
// envelope; see docs/protocol.md).
type Node = driver.ErrorNode

// maxDepth and maxNodes bound a tree: an error chain is short, and a worker
// must not make its driver recurse without end.
const (
	maxDepth = 64
	maxNodes = 256
)

// kind is how one registered type travels.
type kind struct {
	key    string
	typ    reflect.Type
	encode func(err error) (value []byte, wrapped error, e error)
	decode func(value []byte, wrapped error) (error, error)
}

var reg struct {
	sync.RWMutex
	sentinels []sentinel
	bySKey    map[string]error
	byType    map[reflect.Type]*kind
	byKey     map[string]*kind
}

type sentinel struct {
	key string
	err error
}

func init() {
	for _, err := range []error{
		fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, fs.ErrInvalid, fs.ErrClosed,
		io.EOF, io.ErrUnexpectedEOF, io.ErrShortWrite, io.ErrShortBuffer, io.ErrNoProgress, io.ErrClosedPipe,
		context.Canceled, context.DeadlineExceeded, os.ErrDeadlineExceeded, os.ErrProcessDone, errors.ErrUnsupported,
	} {
		if err := RegisterSentinel(err); err != nil {
			panic(err)
		}
	}
	if err := RegisterType(reflect.TypeFor[syscall.Errno]()); err != nil {
		panic(err)
	}
	// The standard library's wrapping types hold the error they wrap in a
	// field of type error, which no codec can restore as such: they travel
	// as their other fields, and the wrapped error as the node's child.
	type pathErr struct{ Op, Path string }
	registerWrapper(func(e *fs.PathError) (pathErr, error) { return pathErr{e.Op, e.Path}, e.Err },
		func(v pathErr, w error) *fs.PathError { return &fs.PathError{Op: v.Op, Path: v.Path, Err: w} })
	type linkErr struct{ Op, Old, New string }
	registerWrapper(func(e *os.LinkError) (linkErr, error) { return linkErr{e.Op, e.Old, e.New}, e.Err },
		func(v linkErr, w error) *os.LinkError { return &os.LinkError{Op: v.Op, Old: v.Old, New: v.New, Err: w} })
	type sysErr struct{ Syscall string }
	registerWrapper(func(e *os.SyscallError) (sysErr, error) { return sysErr{e.Syscall}, e.Err },
		func(v sysErr, w error) *os.SyscallError { return &os.SyscallError{Syscall: v.Syscall, Err: w} })
}

func sentinelKey(err error) string { return fmt.Sprintf("%T:%s", err, err.Error()) }

func typeKey(t reflect.Type) string {
	pre := ""
	for t.Kind() == reflect.Pointer && t.Name() == "" {
		pre += "*"
		t = t.Elem()
	}
	if t.PkgPath() != "" {
		return pre + t.PkgPath() + "." + t.Name()
	}
	return pre + t.String()
}

// RegisterSentinel makes err keep its identity: a worker's error that is (or
// wraps) err reaches the driver wrapping err itself. Sentinels are known by
// their type and message, which must be unique among registered sentinels.
func RegisterSentinel(err error) error {
	if err == nil {
		return errors.New("register a nil error")
	}
	if !reflect.TypeOf(err).Comparable() {
		return fmt.Errorf("register sentinel %T: its type is not comparable, so errors.Is cannot match it by identity; register its type instead", err)
	}
	key := sentinelKey(err)
	reg.Lock()
	defer reg.Unlock()
	if reg.bySKey == nil {
		reg.bySKey = map[string]error{}
	}
	if old, ok := reg.bySKey[key]; ok {
		if old == err {
			return nil
		}
		return fmt.Errorf("register sentinel %q: another registered sentinel has the same type and message", err)
	}
	reg.bySKey[key] = err
	reg.sentinels = append(reg.sentinels, sentinel{key, err})
	return nil
}

// RegisterType makes errors of type t travel as themselves, encoded with
// codec.Binary, so errors.As finds them in the driver. t must pass
// codec.Check (exported fields, no error fields); its Unwrap, if any, is not
// called on the other side, where the tree's children are wrapped instead.
func RegisterType(t reflect.Type) error {
	if !t.Implements(reflect.TypeFor[error]()) {
		return fmt.Errorf("register error type %s: it does not implement error", t)
	}
	if err := codec.Check(t); err != nil {
		return fmt.Errorf("register error type %s: %w", t, err)
	}
	k := &kind{key: typeKey(t), typ: t,
		encode: func(err error) ([]byte, error, error) {
			v := reflect.New(t)
			v.Elem().Set(reflect.ValueOf(err))
			b, e := codec.Binary.Marshal(v.Interface())
			return b, nil, e
		},
		decode: func(b []byte, _ error) (error, error) {
			v := reflect.New(t)
			if err := codec.Binary.Unmarshal(b, v.Interface()); err != nil {
				return nil, err
			}
			e, _ := v.Elem().Interface().(error)
			if e == nil {
				return nil, fmt.Errorf("decoded a nil %s", t)
			}
			return e, nil
		}}
	return addKind(k)
}

func addKind(k *kind) error {
	reg.Lock()
	defer reg.Unlock()
	if reg.byType == nil {
		reg.byType, reg.byKey = map[reflect.Type]*kind{}, map[string]*kind{}
	}
	if old, ok := reg.byKey[k.key]; ok {
		if old.typ == k.typ {
			return nil
		}
		return fmt.Errorf("register error type %s: another type has the same name", k.typ)
	}
	reg.byType[k.typ], reg.byKey[k.key] = k, k
	return nil
}

// registerWrapper registers a type E that wraps one error, as its other
// fields V plus that error.
func registerWrapper[E error, V any](split func(E) (V, error), join func(V, error) E) {
	t := reflect.TypeFor[E]()
	k := &kind{key: typeKey(t), typ: t,
		encode: func(err error) ([]byte, error, error) {
			v, w := split(err.(E))
			b, e := codec.Binary.Marshal(&v)
			return b, w, e
		},
		decode: func(b []byte, w error) (error, error) {
			var v V
			if err := codec.Binary.Unmarshal(b, &v); err != nil {
				return nil, err
			}
			return join(v, w), nil
		}}
	if err := addKind(k); err != nil {
		panic(err)
	}
}

// Encode turns err into its tree.
func Encode(err error) *Node {
	if err == nil {
		return nil
	}
	n := 0
	return encode(err, 0, &n)
}

func encode(err error, depth int, count *int) *Node {
	*count++
	node := &Node{Msg: err.Error(), Type: fmt.Sprintf("%T", err)}
	reg.RLock()
	var k *kind
	if t := reflect.TypeOf(err); t.Comparable() {
		for _, s := range reg.sentinels {
			if s.err == err {
				node.Sentinel = s.key
				break
			}
		}
	}
	if node.Sentinel == "" {
		k = reg.byType[reflect.TypeOf(err)]
	}
	reg.RUnlock()
	if node.Sentinel != "" {
		return node
	}
	var wrapped []error
	if k != nil {
		b, w, e := k.encode(err)
		if e == nil {
			node.Type, node.Value = k.key, b
			if w != nil {
				wrapped = []error{w}
			}
		} else {
			k = nil
		}
	}
	if k == nil {
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			if w := u.Unwrap(); w != nil {
				wrapped = []error{w}
			}
		case interface{ Unwrap() []error }:
			wrapped = u.Unwrap()
		}
	}
	if depth >= maxDepth {
		return node
	}
	for _, w := range wrapped {
		if w == nil || *count >= maxNodes {
			continue
		}
		node.Wrapped = append(node.Wrapped, encode(w, depth+1, count))
	}
	return node
}

// Decode rebuilds the error of a tree. Nodes that are not registered here
// are made by generic, given the node's message, Go type name and rebuilt
// children.
func Decode(n *Node, generic func(msg, typ string, wrapped []error) error) error {
	if n == nil {
		return nil
	}
	count := 0
	return decode(n, 0, &count, generic)
}

func decode(n *Node, depth int, count *int, generic func(msg, typ string, wrapped []error) error) error {
	*count++
	if n.Sentinel != "" {
		reg.RLock()
		s, ok := reg.bySKey[n.Sentinel]
		reg.RUnlock()
		if ok {
			return s
		}
	}
	var wrapped []error
	if depth < maxDepth {
		for _, w := range n.Wrapped {
			if w == nil || *count >= maxNodes {
				continue
			}
			wrapped = append(wrapped, decode(w, depth+1, count, generic))
		}
	}
	if n.Value != nil {
		reg.RLock()
		k, ok := reg.byKey[n.Type]
		reg.RUnlock()
		if ok {
			var w error
			if len(wrapped) == 1 {
				w = wrapped[0]
			}
			if e, err := k.decode(n.Value, w); err == nil {
				return e
			}
		}
	}
	return generic(n.Msg, n.Type, wrapped)
}
