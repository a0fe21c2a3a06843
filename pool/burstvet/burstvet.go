// Package burstvet is an analyzer that finds what a Go program assumes about
// running in one process and that stops being true when its functions run on
// burst workers: other processes that never run main.
//
// For each function registered with pool.Register, and every function of the
// same package it calls, it reports
//   - package-level variables shared with the driver: set by the driver's code
//     (a worker still holds the initial value), or written by the function
//     and read by the driver (the write stays in the worker);
//   - mutexes the function shares with the driver's code (they lock within
//     one process only);
//   - flag values and the flag package (workers never parse the driver's
//     flags);
//   - os.Stdout, os.Stderr and fmt.Print… (a worker's output reaches the
//     driver's stderr, or nothing on a cloud);
//   - log.Fatal… and os.Exit (they kill the worker and every call on it),
//     os.Chdir (it moves every call on the worker);
//   - input and output types that pool.Register refuses (codec.Check): a
//     field that would be dropped, a chan, a func, an interface that cannot
//     be restored.
//
// Variables used only by the registered functions, such as a cache of parsed
// inputs, are the worker's own and not reported.
//
// In a program not yet ported (package main with no pool.Register) it reports
// each errgroup.Go closure with the captured variables it writes: those
// writes become the function's results when the closure becomes a pool call.
//
// Run it alone or through go vet:
//
//	go run github.com/burst-dev/burst/cmd/burstvet ./...
//	go vet -vettool=$(which burstvet) ./...
package burstvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// Analyzer is burstvet's analysis.Analyzer.
var Analyzer = &analysis.Analyzer{
	Name:     "burstvet",
	Doc:      "report what breaks when registered pool functions run in other processes, and what an errgroup program must change to port",
	URL:      "https://pkg.go.dev/github.com/burst-dev/burst/pool/burstvet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

var errgroupAll bool

func init() {
	Analyzer.Flags.BoolVar(&errgroupAll, "errgroup-all", false,
		"report errgroup.Go closures in every package without pool.Register, not only in package main")
}

const (
	poolPath     = "github.com/burst-dev/burst/pool"
	errgroupPath = "golang.org/x/sync/errgroup"
)

// registered is one pool.Register call.
type registered struct {
	name   string
	call   *ast.CallExpr
	root   ast.Node // *ast.FuncLit or *ast.FuncDecl
	in     types.Type
	out    types.Type
	parent map[ast.Node]ast.Node // reach: each function body and how it was reached
}

// varUse is one use of a package-level variable.
type varUse struct {
	id    *ast.Ident
	in    ast.Node   // enclosing *ast.FuncDecl, nil at package level
	encl  []ast.Node // every enclosing *ast.FuncDecl and *ast.FuncLit
	write bool
}

type state struct {
	pass  *analysis.Pass
	decls map[*types.Func]*ast.FuncDecl
	// enclosing maps every node of interest to its enclosing FuncDecl.
	uses     map[*types.Var][]varUse
	flagVars map[*types.Var]bool
	initSet  map[ast.Node]bool // functions the worker runs too: init, var initialisers
}

func run(pass *analysis.Pass) (any, error) {
	s := &state{pass: pass, decls: map[*types.Func]*ast.FuncDecl{}, uses: map[*types.Var][]varUse{},
		flagVars: map[*types.Var]bool{}, initSet: map[ast.Node]bool{}}
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				if fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					s.decls[fn] = fd
				}
			}
		}
	}

	var regs []*registered
	var groupCalls []*ast.CallExpr
	ins.WithStack([]ast.Node{(*ast.CallExpr)(nil), (*ast.Ident)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			if r := s.register(n); r != nil {
				regs = append(regs, r)
			}
			if isErrgroupGo(pass.TypesInfo, n) {
				groupCalls = append(groupCalls, n)
			}
			s.flagCall(n)
		case *ast.Ident:
			v, ok := pass.TypesInfo.Uses[n].(*types.Var)
			if !ok || v.Parent() != pass.Pkg.Scope() || v.Pkg() != pass.Pkg {
				return true
			}
			u := varUse{id: n, write: isWrite(pass.TypesInfo, n, stack)}
			for _, a := range stack {
				switch a := a.(type) {
				case *ast.FuncDecl:
					u.in = a
					u.encl = append(u.encl, a)
				case *ast.FuncLit:
					u.encl = append(u.encl, a)
				}
			}
			s.uses[v] = append(s.uses[v], u)
		}
		return true
	})

	// What the worker runs besides the registered functions: init functions
	// and package-level initialisers, with all they call.
	initRoots := map[ast.Node]ast.Node{}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.Name == "init" {
					initRoots[d] = nil
				}
			case *ast.GenDecl:
				if d.Tok == token.VAR {
					for _, spec := range d.Specs {
						vs := spec.(*ast.ValueSpec)
						for i, v := range vs.Values {
							initRoots[v] = nil
							if c, ok := ast.Unparen(v).(*ast.CallExpr); ok && i < len(vs.Names) {
								if fn := callee(pass.TypesInfo, c); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == "flag" {
									if obj, ok := pass.TypesInfo.Defs[vs.Names[i]].(*types.Var); ok {
										s.flagVars[obj] = true
									}
								}
							}
						}
					}
				}
			}
		}
	}
	for n := range s.reach(initRoots) {
		s.initSet[n] = true
	}
	workerSet := map[ast.Node]bool{}
	for _, r := range regs {
		if r.root == nil {
			continue
		}
		r.parent = s.reach(map[ast.Node]ast.Node{r.root: nil})
		for n := range r.parent {
			workerSet[n] = true
		}
	}
	// driver reports whether a use is in code that runs only in the driver.
	driver := func(u *varUse) bool {
		if u.in == nil {
			return false // a package-level initialiser: the worker runs it too
		}
		for _, n := range u.encl {
			if workerSet[n] || s.initSet[n] {
				return false
			}
		}
		return true
	}

	for _, r := range regs {
		s.checkTypes(r)
		if r.root == nil {
			continue
		}
		s.checkBodies(r, driver)
	}
	if len(regs) == 0 && (pass.Pkg.Name() == "main" || errgroupAll) {
		for _, c := range groupCalls {
			s.checkClosure(c)
		}
	}
	return nil, nil
}

// register recognises pool.Register(name, fn).
func (s *state) register(call *ast.CallExpr) *registered {
	id := calleeIdent(call)
	fn := callee(s.pass.TypesInfo, call)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != poolPath || fn.Name() != "Register" || len(call.Args) != 2 {
		return nil
	}
	r := &registered{call: call, name: "?"}
	if tv, ok := s.pass.TypesInfo.Types[call.Args[0]]; ok && tv.Value != nil {
		r.name, _ = strconv.Unquote(tv.Value.ExactString())
	}
	if inst, ok := s.pass.TypesInfo.Instances[id]; ok && inst.TypeArgs.Len() == 2 {
		r.in, r.out = inst.TypeArgs.At(0), inst.TypeArgs.At(1)
	}
	switch a := ast.Unparen(call.Args[1]).(type) {
	case *ast.FuncLit:
		r.root = a
	case *ast.Ident, *ast.SelectorExpr:
		var aid *ast.Ident
		if sel, ok := a.(*ast.SelectorExpr); ok {
			aid = sel.Sel
		} else {
			aid = a.(*ast.Ident)
		}
		if f, ok := s.pass.TypesInfo.Uses[aid].(*types.Func); ok {
			if fd := s.decls[f]; fd != nil {
				r.root = fd
			}
		}
	}
	return r
}

// reach returns every function body reachable from roots through references
// to functions declared in this package, each mapped to the one it was
// reached from.
func (s *state) reach(roots map[ast.Node]ast.Node) map[ast.Node]ast.Node {
	parent := map[ast.Node]ast.Node{}
	queue := []ast.Node{}
	for r, p := range roots {
		parent[r] = p
		queue = append(queue, r)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		ast.Inspect(n, func(c ast.Node) bool {
			id, ok := c.(*ast.Ident)
			if !ok {
				return true
			}
			f, ok := s.pass.TypesInfo.Uses[id].(*types.Func)
			if !ok {
				return true
			}
			if fd := s.decls[f.Origin()]; fd != nil {
				if _, seen := parent[fd]; !seen {
					parent[fd] = n
					queue = append(queue, fd)
				}
			}
			return true
		})
	}
	return parent
}

// via describes how a registered function reaches fd: "" for its own body,
// " (via helper → load)" otherwise.
func (r *registered) via(fd ast.Node) string {
	var names []string
	for n := fd; n != nil && n != r.root; n = r.parent[n] {
		if d, ok := n.(*ast.FuncDecl); ok {
			names = append(names, d.Name.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Reverse(names)
	return " (in " + strings.Join(names, " → ") + ")"
}

func (s *state) checkBodies(r *registered, driver func(*varUse) bool) {
	info := s.pass.TypesInfo
	// Calls and selectors in the function and all it reaches.
	for n := range r.parent {
		ast.Inspect(n, func(c ast.Node) bool {
			if c != n {
				if _, ok := c.(*ast.FuncDecl); ok {
					return false
				}
			}
			switch c := c.(type) {
			case *ast.SelectorExpr:
				if v, ok := info.Uses[c.Sel].(*types.Var); ok && v.Pkg() != nil && v.Pkg().Path() == "os" &&
					(v.Name() == "Stdout" || v.Name() == "Stderr") {
					s.pass.Reportf(c.Pos(), "pool function %q%s uses os.%s: a worker's output goes to the driver's stderr (process://) or to the platform's log, not to the driver's stdout; return it in the result",
						r.name, r.via(n), v.Name())
				}
			case *ast.CallExpr:
				fn := callee(info, c)
				if fn == nil || fn.Pkg() == nil {
					return true
				}
				switch pkg, name := fn.Pkg().Path(), fn.Name(); {
				case pkg == "os" && name == "Exit", pkg == "log" && strings.HasPrefix(name, "Fatal"):
					s.pass.Reportf(c.Pos(), "pool function %q%s calls %s.%s: it ends the worker process and every call on it; return an error instead",
						r.name, r.via(n), fn.Pkg().Name(), name)
				case pkg == "os" && name == "Chdir":
					s.pass.Reportf(c.Pos(), "pool function %q%s calls os.Chdir: it changes the directory of every call on the worker, and not the driver's; use paths relative to a directory passed in",
						r.name, r.via(n))
				case pkg == "fmt" && (name == "Print" || name == "Printf" || name == "Println"):
					s.pass.Reportf(c.Pos(), "pool function %q%s calls fmt.%s: a worker's output goes to the driver's stderr (process://) or to the platform's log, not to the driver's stdout; return it in the result",
						r.name, r.via(n), name)
				case pkg == "flag" && fn.Signature().Recv() == nil && !strings.HasSuffix(name, "Var"):
					s.pass.Reportf(c.Pos(), "pool function %q%s calls flag.%s: workers never run main, so the driver's flags are not parsed there; pass the values in the input",
						r.name, r.via(n), name)
				}
			}
			return true
		})
	}
	// Package-level variables.
	vars := make([]*types.Var, 0, len(s.uses))
	for v := range s.uses {
		vars = append(vars, v)
	}
	slices.SortFunc(vars, func(a, b *types.Var) int { return int(a.Pos() - b.Pos()) })
	for _, v := range vars {
		uses := s.uses[v]
		var first *varUse
		var wroteHere bool
		var driverWrite, driverUse *varUse
		for i := range uses {
			u := &uses[i]
			inReach := false
			for _, n := range u.encl {
				_, in := r.parent[n]
				inReach = inReach || in
			}
			if inReach {
				if first == nil {
					first = u
				}
				wroteHere = wroteHere || u.write
			}
			if driver(u) {
				if driverUse == nil {
					driverUse = u
				}
				if u.write && driverWrite == nil {
					driverWrite = u
				}
			}
		}
		if first == nil {
			continue
		}
		fd := first.encl[len(first.encl)-1]
		for _, n := range first.encl {
			if _, ok := r.parent[n]; ok {
				fd = n // the outermost function of the reach that holds the use
				break
			}
		}
		switch {
		case s.flagVars[v]:
			s.pass.Reportf(first.id.Pos(), "pool function %q%s reads %s, a flag: workers never run main, so there it keeps its default; pass the value in the input",
				r.name, r.via(fd), v.Name())
		case isMutex(v.Type()) && driverUse != nil:
			s.pass.Reportf(first.id.Pos(), "pool function %q%s locks %s, which %s also uses: a mutex locks within one process, and each worker has its own; use shared.Mutex, or shared.Map for a map under a mutex",
				r.name, r.via(fd), v.Name(), funcName(driverUse.in))
		case driverWrite != nil:
			s.pass.Reportf(first.id.Pos(), "pool function %q%s uses package variable %s, which %s sets: workers never run it, so there %s keeps its initial value; pass it in the input, or set it in init",
				r.name, r.via(fd), v.Name(), funcName(driverWrite.in), v.Name())
		case wroteHere && driverUse != nil:
			s.pass.Reportf(first.id.Pos(), "pool function %q%s writes package variable %s, which %s reads: a worker's writes stay in the worker; return the value in the result, or use shared state",
				r.name, r.via(fd), v.Name(), funcName(driverUse.in))
		}
	}
}

func funcName(n ast.Node) string {
	if fd, ok := n.(*ast.FuncDecl); ok {
		return fd.Name.Name
	}
	return "the driver"
}

func (s *state) checkTypes(r *registered) {
	for _, t := range []struct {
		what string
		typ  types.Type
	}{{"input", r.in}, {"output", r.out}} {
		if t.typ == nil {
			continue
		}
		if msg := checkType(t.typ); msg != "" {
			s.pass.Reportf(r.call.Pos(), "pool function %q: %s type %s", r.name, t.what, msg)
		}
	}
}

// flagCall records the variables that hold flag values: p := flag.Int(…)
// at package level, or flag.IntVar(&v, …) anywhere.
func (s *state) flagCall(call *ast.CallExpr) {
	fn := callee(s.pass.TypesInfo, call)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "flag" {
		return
	}
	if strings.HasSuffix(fn.Name(), "Var") && len(call.Args) > 0 {
		if u, ok := ast.Unparen(call.Args[0]).(*ast.UnaryExpr); ok && u.Op == token.AND {
			if id, ok := ast.Unparen(u.X).(*ast.Ident); ok {
				if v, ok := s.pass.TypesInfo.Uses[id].(*types.Var); ok {
					s.flagVars[v] = true
				}
			}
		}
	}
}

// callee is the function or method a call calls, nil if it is no named one.
func callee(info *types.Info, call *ast.CallExpr) *types.Func {
	id := calleeIdent(call)
	if id == nil {
		return nil
	}
	fn, _ := info.Uses[id].(*types.Func)
	return fn
}

// calleeIdent is the name a call calls (f, pkg.F, x.M, each perhaps
// instantiated: F[T]), nil if it calls no name.
func calleeIdent(call *ast.CallExpr) *ast.Ident {
	fun := ast.Unparen(call.Fun)
	switch f := fun.(type) {
	case *ast.IndexExpr:
		fun = f.X
	case *ast.IndexListExpr:
		fun = f.X
	}
	switch f := fun.(type) {
	case *ast.Ident:
		return f
	case *ast.SelectorExpr:
		return f.Sel
	}
	return nil
}

func isErrgroupGo(info *types.Info, call *ast.CallExpr) bool {
	fn := callee(info, call)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != errgroupPath || (fn.Name() != "Go" && fn.Name() != "TryGo") {
		return false
	}
	return len(call.Args) == 1
}

// checkClosure reports the captured variables an errgroup.Go closure writes.
func (s *state) checkClosure(call *ast.CallExpr) {
	lit, ok := ast.Unparen(call.Args[0]).(*ast.FuncLit)
	if !ok {
		return
	}
	info := s.pass.TypesInfo
	var names []string
	seen := map[*types.Var]bool{}
	var stack []ast.Node
	ast.Inspect(lit, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		id, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		v, ok := info.Uses[id].(*types.Var)
		if !ok || seen[v] || (v.Pos() >= lit.Pos() && v.Pos() < lit.End()) {
			return true
		}
		if isWrite(info, id, stack[:len(stack)-1]) {
			seen[v] = true
			names = append(names, v.Name())
		}
		return true
	})
	if len(names) > 0 {
		s.pass.Reportf(call.Pos(), "errgroup.Go closure writes captured %s: when this work becomes a pool function (pool.Register), what it writes must become its result (Func.Go returns a *pool.Future)",
			strings.Join(names, ", "))
	}
}

// isWrite reports whether the identifier id, with its ancestors in stack
// (innermost last, id itself excluded or included), is written: assigned,
// incremented, its address taken, a pointer method called on it, or an
// element or field of it assigned.
func isWrite(info *types.Info, id *ast.Ident, stack []ast.Node) bool {
	if len(stack) > 0 && stack[len(stack)-1] == id {
		stack = stack[:len(stack)-1]
	}
	var cur ast.Expr = id
	for i := len(stack) - 1; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.ParenExpr:
			cur = p
			continue
		case *ast.IndexExpr:
			if p.X != cur {
				return false
			}
			if _, isMap := info.TypeOf(p.X).Underlying().(*types.Map); !isMap {
				if _, isPtr := info.TypeOf(p.X).Underlying().(*types.Pointer); isPtr {
					return false // through a pointer: not this variable
				}
			}
			cur = p
			continue
		case *ast.SelectorExpr:
			if p.X != cur {
				return false
			}
			if sel, ok := info.Selections[p]; ok {
				if sel.Kind() == types.MethodVal {
					// A method with a pointer receiver on an addressable
					// variable takes its address.
					if sig, ok := sel.Obj().Type().(*types.Signature); ok && sig.Recv() != nil {
						if _, ptr := sig.Recv().Type().(*types.Pointer); ptr {
							if _, already := info.TypeOf(p.X).Underlying().(*types.Pointer); !already {
								return true
							}
						}
					}
					return false
				}
				if _, isPtr := info.TypeOf(p.X).Underlying().(*types.Pointer); isPtr {
					return false
				}
			}
			cur = p
			continue
		case *ast.StarExpr:
			return false
		case *ast.AssignStmt:
			return slices.Contains(p.Lhs, cur)
		case *ast.IncDecStmt:
			return p.X == cur
		case *ast.UnaryExpr:
			return p.Op == token.AND && p.X == cur
		case *ast.RangeStmt:
			return p.Key == cur || p.Value == cur
		}
		return false
	}
	return false
}

func isMutex(t types.Type) bool {
	if n, ok := types.Unalias(t).(*types.Named); ok {
		if o := n.Obj(); o.Pkg() != nil && o.Pkg().Path() == "sync" && (o.Name() == "Mutex" || o.Name() == "RWMutex") {
			return true
		}
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := range st.NumFields() {
		if f := st.Field(i); f.Embedded() && isMutex(f.Type()) {
			return true
		}
	}
	return false
}
