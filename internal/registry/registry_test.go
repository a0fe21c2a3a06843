package registry_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/burst-dev/burst/internal/registry"
)

func TestRegisterLookupNames(t *testing.T) {
	r := registry.New[int]("test: thing")
	for i, n := range []string{"b", "c", "a"} {
		r.Register(n, i)
	}
	if v, ok := r.Lookup("c"); !ok || v != 1 {
		t.Errorf("Lookup(c) = %d, %v; want 1, true", v, ok)
	}
	if _, ok := r.Lookup("d"); ok {
		t.Error("Lookup(d) found a value never registered")
	}
	if got := r.Names(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Names = %v, want sorted [a b c]", got)
	}
	if got := r.Values(); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("Values = %v, want registration order [0 1 2]", got)
	}
}

func TestRegisterPanics(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"x", `test: thing "x" registered twice`},
		{"", `test: thing registered with an empty name`},
	} {
		r := registry.New[int]("test: thing")
		r.Register("x", 1)
		func() {
			defer func() {
				if got := fmt.Sprint(recover()); got != c.want {
					t.Errorf("Register(%q) panicked with %q, want %q", c.name, got, c.want)
				}
			}()
			r.Register(c.name, 2)
		}()
		if v, _ := r.Lookup("x"); v != 1 {
			t.Errorf("after the refused Register(%q), x = %d, want the first value 1", c.name, v)
		}
	}
}

func Example() {
	engines := registry.New[func() string]("engine")
	engines.Register("toy", func() string { return "toy engine" })
	if _, ok := engines.Lookup("gromacs"); !ok {
		fmt.Printf("unknown engine %q (registered: %v)\n", "gromacs", engines.Names())
	}
	// Output: unknown engine "gromacs" (registered: [toy])
}
