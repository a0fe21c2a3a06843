package burstvet

import (
	"go/types"
)

// checkType mirrors codec.Check on go/types: it returns "" when the codec
// round-trips every value of t, else the path to the first part it would
// lose and why, as pool.Register would panic with it at run time.
func checkType(t types.Type) string {
	c := typeChecker{seen: map[types.Type]bool{}}
	if path, msg := c.check(t); msg != "" {
		return types.TypeString(t, nil) + path + ": " + msg
	}
	return ""
}

type typeChecker struct{ seen map[types.Type]bool }

func (c *typeChecker) check(t types.Type) (path, msg string) {
	t = types.Unalias(t)
	if c.seen[t] {
		return "", ""
	}
	c.seen[t] = true
	if isNamed(t, "time", "Time") || hasPair(t, "MarshalBinary", "UnmarshalBinary") || hasPair(t, "GobEncode", "GobDecode") {
		return "", ""
	}
	path, msg = c.native(t)
	if msg != "" && (hasPair(t, "MarshalText", "UnmarshalText") || hasPair(t, "MarshalJSON", "UnmarshalJSON")) {
		if _, iface := t.Underlying().(*types.Interface); !iface {
			return "", ""
		}
	}
	return path, msg
}

func (c *typeChecker) native(t types.Type) (path, msg string) {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		if u.Kind() == types.UnsafePointer {
			return "", "unsafe.Pointer cannot be encoded"
		}
		return "", ""
	case *types.Pointer:
		return c.check(u.Elem())
	case *types.Slice:
		p, m := c.check(u.Elem())
		return "[]" + p, m
	case *types.Array:
		p, m := c.check(u.Elem())
		return "[]" + p, m
	case *types.Map:
		if p, m := c.check(u.Key()); m != "" {
			return "[key]" + p, m
		}
		p, m := c.check(u.Elem())
		return "[]" + p, m
	case *types.Struct:
		for i := range u.NumFields() {
			f := u.Field(i)
			if f.Name() == "_" {
				continue
			}
			if !f.Exported() {
				if _, isStruct := f.Type().Underlying().(*types.Struct); f.Embedded() && isStruct {
					if p, m := c.native(f.Type()); m != "" {
						return "." + f.Name() + p, m
					}
					continue
				}
				return "." + f.Name(), "unexported field would be dropped"
			}
			if p, m := c.check(f.Type()); m != "" {
				return "." + f.Name() + p, m
			}
		}
		return "", ""
	case *types.Chan:
		return "", types.TypeString(t, nil) + " cannot be encoded (a channel cannot cross to another process)"
	case *types.Signature:
		return "", types.TypeString(t, nil) + " cannot be encoded (a function cannot cross to another process; register it and pass its inputs)"
	case *types.Interface:
		if isNamed(t, "", "error") {
			return "", "an error value cannot be restored as its own type; return it from the function (pool carries errors) or carry its message as a string"
		}
		// Other interfaces need their concrete types registered with
		// codec.Register, which only the running program knows.
		return "", ""
	case *types.TypeParam:
		return "", ""
	}
	return "", ""
}

func isNamed(t types.Type, pkg, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Name() != name {
		return false
	}
	if n.Obj().Pkg() == nil {
		return pkg == ""
	}
	return n.Obj().Pkg().Path() == pkg
}

// hasPair reports whether *t has both methods.
func hasPair(t types.Type, m, u string) bool {
	ms := types.NewMethodSet(types.NewPointer(t))
	has := func(name string) bool {
		for i := range ms.Len() {
			if ms.At(i).Obj().Name() == name {
				return true
			}
		}
		return false
	}
	return has(m) && has(u)
}
