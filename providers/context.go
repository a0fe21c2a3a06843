package providers

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/internal/inworker"
	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/shared"
)

// callValue names the call value through which an Env's functions find its
// storage and shared state.
const callValue = "burst.providers"

// envRef is what travels with every call of an Env's pool: enough for a
// worker to open the same storage and shared state, and for a call that
// runs in the driver's process to find the Env itself.
type envRef struct {
	ID        string `json:"id"`
	Storage   string `json:"storage"`
	Shared    string `json:"shared"`
	Namespace string `json:"namespace"`
}

type envKey struct{}

var (
	// driverEnvs are this process's open Envs by id, for calls that run in
	// it (local://): they use the driver's own objects, mem:// included.
	driverEnvs sync.Map // id -> *Env
	// workerEnvs are the stores a worker opened, one set per distinct value.
	workerEnvs sync.Map // value -> *workerEnv
)

func init() { driver.RegisterContextHook(callValue, envHook) }

// FromContext returns the Env whose pool made the call that ctx belongs to:
// the same storage (FS) and shared state (Shared, in the run's namespace)
// as the driver's, on every backend. In a worker it opens them at the first
// use (Pool and Config are nil there), and it fails, saying why, when one is
// in the driver's memory (mem://) and the worker is another process; a
// function that needs only one of them asks for it with StorageFromContext
// or SharedFromContext.
func FromContext(ctx context.Context) (*Env, error) {
	fsys, err := StorageFromContext(ctx)
	if err != nil {
		return nil, err
	}
	sc, err := SharedFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if e, ok := ctx.Value(envKey{}).(*envCall); ok {
		if d, ok := driverEnvs.Load(e.ref.ID); ok {
			return d.(*Env), nil
		}
	}
	return &Env{FS: fsys, Shared: sc}, nil
}

// StorageFromContext is FromContext's FS alone.
func StorageFromContext(ctx context.Context) (*cloudfs.FS, error) {
	c, w, err := fromContext(ctx)
	if err != nil || w == nil {
		if err == nil {
			return c.FS, nil
		}
		return nil, err
	}
	w.fsOnce.Do(func() { w.fs, w.fsErr = openStorage(context.WithoutCancel(ctx), w.ref) })
	return w.fs, w.fsErr
}

// SharedFromContext is FromContext's Shared alone.
func SharedFromContext(ctx context.Context) (*shared.Client, error) {
	c, w, err := fromContext(ctx)
	if err != nil || w == nil {
		if err == nil {
			return c.Shared, nil
		}
		return nil, err
	}
	w.shOnce.Do(func() { w.sh, w.shErr = openShared(context.WithoutCancel(ctx), w.ref) })
	return w.sh, w.shErr
}

// workerEnv is what a worker opened for one Env of a driver, each store at
// its first use.
type workerEnv struct {
	ref    envRef
	fsOnce sync.Once
	fs     *cloudfs.FS
	fsErr  error
	shOnce sync.Once
	sh     *shared.Client
	shErr  error
}

// fromContext returns the driver's own Env when the call runs in its
// process, else this worker's stores for it.
func fromContext(ctx context.Context) (*Env, *workerEnv, error) {
	c, ok := ctx.Value(envKey{}).(*envCall)
	if !ok {
		return nil, nil, errors.New("providers: no Env in this context: FromContext works in functions called through a pool that providers.Open made")
	}
	if e, ok := driverEnvs.Load(c.ref.ID); ok {
		return e.(*Env), nil, nil
	}
	w, _ := workerEnvs.LoadOrStore(c.value, &workerEnv{ref: c.ref})
	return nil, w.(*workerEnv), nil
}

// envCall is what a call's context carries: the driver's Env, by reference.
type envCall struct {
	ref   envRef
	value string
}

func envHook(ctx context.Context, value string) (context.Context, error) {
	var ref envRef
	if err := json.Unmarshal([]byte(value), &ref); err != nil {
		return ctx, fmt.Errorf("providers: malformed call value: %w", err)
	}
	return context.WithValue(ctx, envKey{}, &envCall{ref: ref, value: value}), nil
}

// In-memory stores cannot be reached from another process: opening one for
// a worker says so rather than give the function an empty store of its own.
func refuseMem(what, u string) error {
	if strings.HasPrefix(u, "mem:") {
		return fmt.Errorf("providers: the driver's %s is %s, in its own memory, which this worker (%s, another process) cannot reach: configure %s as an object store or redis:// URL",
			what, u, cmp.Or(inworker.Mode(), "another process"), what)
	}
	return nil
}

func openStorage(ctx context.Context, ref envRef) (*cloudfs.FS, error) {
	if err := refuseMem("storage", ref.Storage); err != nil {
		return nil, err
	}
	fsys, err := cloudfs.Open(ctx, ref.Storage)
	if err != nil {
		return nil, fmt.Errorf("providers: storage %s: %w", redact.URL(ref.Storage), redact.Error(err))
	}
	return fsys, nil
}

func openShared(ctx context.Context, ref envRef) (*shared.Client, error) {
	if err := refuseMem("shared", ref.Shared); err != nil {
		return nil, err
	}
	sc, err := shared.Open(ctx, ref.Shared)
	if err != nil {
		return nil, fmt.Errorf("providers: shared %s: %w", redact.URL(ref.Shared), redact.Error(err))
	}
	return sc.WithNamespace(ref.Namespace)
}

// runNamespace picks the shared namespace of a run: the one the URL names,
// kept after the run; else a fresh one, dropped when the Env closes, so a
// second run never sees the first one's state.
func runNamespace(sharedURL string) (ns string, drop bool, err error) {
	u, err := url.Parse(sharedURL)
	if err != nil {
		return "", false, err
	}
	if u.Query().Has("namespace") {
		return u.Query().Get("namespace"), false, nil
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "run-" + hex.EncodeToString(b[:]), true, nil
}
