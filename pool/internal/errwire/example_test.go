package errwire_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/burst-dev/burst/pool/internal/errwire"
)

// remoteError stands for a node the receiver cannot rebuild.
type remoteError struct {
	msg     string
	wrapped []error
}

func (e *remoteError) Error() string   { return e.msg }
func (e *remoteError) Unwrap() []error { return e.wrapped }

// A worker's error crosses as its tree, in the result envelope's JSON; the
// driver gets the registered sentinel beneath an unregistered wrapper back
// as itself.
func Example() {
	sent := fmt.Errorf("load %s: %w", "ww.pdb", fs.ErrNotExist)
	b, err := json.Marshal(errwire.Encode(sent))
	if err != nil {
		panic(err)
	}
	var n errwire.Node
	if err := json.Unmarshal(b, &n); err != nil {
		panic(err)
	}
	got := errwire.Decode(&n, func(msg, typ string, wrapped []error) error { return &remoteError{msg, wrapped} })
	fmt.Println(got)
	fmt.Println(errors.Is(got, fs.ErrNotExist))
	// Output:
	// load ww.pdb: file does not exist
	// true
}
