package errwire_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"syscall"
	"testing"

	"github.com/burst-dev/burst/pool/internal/errwire"
)

type generic struct {
	msg, typ string
	wrapped  []error
}

func (g *generic) Error() string   { return g.msg }
func (g *generic) Unwrap() []error { return g.wrapped }

func newGeneric(msg, typ string, wrapped []error) error { return &generic{msg, typ, wrapped} }

var errMine = errors.New("mine")

type myErr struct {
	Code int
	Why  string
}

func (e *myErr) Error() string { return fmt.Sprintf("code %d: %s", e.Code, e.Why) }

func init() {
	if err := errwire.RegisterSentinel(errMine); err != nil {
		panic(err)
	}
	if err := errwire.RegisterType(reflect.TypeFor[*myErr]()); err != nil {
		panic(err)
	}
}

// cross sends err through JSON, as a result envelope carries it.
func cross(t *testing.T, err error) error {
	t.Helper()
	b, e := json.Marshal(errwire.Encode(err))
	if e != nil {
		t.Fatal(e)
	}
	var n errwire.Node
	if e := json.Unmarshal(b, &n); e != nil {
		t.Fatal(e)
	}
	return errwire.Decode(&n, newGeneric)
}

func TestIdentityCrosses(t *testing.T) {
	_, openErr := os.Open("/does/not/exist")
	joined := errors.Join(io.ErrUnexpectedEOF, fmt.Errorf("x: %w", &myErr{7, "seven"}))
	for _, c := range []struct {
		name string
		err  error
	}{
		{"os.Open", openErr},
		{"wrapped sentinel", fmt.Errorf("reading %q: %w", "f", io.EOF)},
		{"user sentinel", fmt.Errorf("step 2: %w", errMine)},
		{"user type", fmt.Errorf("step 3: %w", &myErr{Code: 3, Why: "bad"})},
		{"joined", joined},
		{"errno", fmt.Errorf("write: %w", syscall.EPIPE)},
		{"link", &os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EXDEV}},
		{"unknown type wrapping a sentinel", &unknown{fs.ErrPermission}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := cross(t, c.err)
			if got.Error() != c.err.Error() {
				t.Errorf("message %q, want %q", got.Error(), c.err.Error())
			}
			for _, target := range []error{fs.ErrNotExist, fs.ErrPermission, fs.ErrExist, io.EOF, io.ErrUnexpectedEOF, errMine, syscall.EPIPE, syscall.ENOENT} {
				if errors.Is(got, target) != errors.Is(c.err, target) {
					t.Errorf("errors.Is(_, %v) = %v, want %v", target, errors.Is(got, target), errors.Is(c.err, target))
				}
			}
			var pe *fs.PathError
			if errors.As(got, &pe) != errors.As(c.err, &pe) {
				t.Errorf("errors.As(*fs.PathError) differs")
			}
			var me *myErr
			if ok := errors.As(c.err, &me); ok {
				want := *me
				if !errors.As(got, &me) || *me != want {
					t.Errorf("errors.As(*myErr) = %v, want %+v", me, want)
				}
			}
			var errno syscall.Errno
			if ok := errors.As(c.err, &errno); ok {
				want := errno
				if !errors.As(got, &errno) || errno != want {
					t.Errorf("errors.As(syscall.Errno) = %v, want %v", errno, want)
				}
			}
		})
	}
}

type unknown struct{ err error }

func (u *unknown) Error() string { return "unknown: " + u.err.Error() }
func (u *unknown) Unwrap() error { return u.err }

func TestDeepChainsAreBounded(t *testing.T) {
	err := errors.New("root")
	for i := range 1000 {
		err = fmt.Errorf("%d: %w", i, err)
	}
	got := cross(t, err)
	if got.Error() != err.Error() {
		t.Fatal("message changed")
	}
}

func TestRegisterRefuses(t *testing.T) {
	if err := errwire.RegisterType(reflect.TypeFor[*badErr]()); err == nil {
		t.Fatal("RegisterType of a type with an error field succeeded")
	}
	if err := errwire.RegisterSentinel(errors.New("mine")); err == nil {
		t.Fatal("a second sentinel with the same type and message was accepted")
	}
}

type badErr struct{ Err error }

func (e *badErr) Error() string { return "bad" }
