package pooltest

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/shared"
)

// The checks below are the silent failures met porting real programs
// (issue 13): each passed on local:// and gave a wrong answer, without an
// error, on a backend whose workers are other processes.

// Values is Echo's input: what JSON used to lose.
type Values struct {
	Name    string    // not UTF-8 in the test: a Latin-1 file name
	Lines   []string  // Latin-1 text
	Any     any       // an int64 beyond float64's 53 bits
	Anys    []any     // typed numbers, nil, bytes
	When    time.Time // with a named zone
	Ptr     **int
	Empty   []int // empty, not nil
	Nil     []int // nil, not empty
	Bytes   []byte
	Floats  []float64 // NaN, -0, ±Inf
	ByZone  map[string]time.Time
	Complex complex128
}

// Echo returns its input: a round trip through the codec both ways.
var Echo = pool.Register("pooltest.echo", func(ctx context.Context, v Values) (Values, error) { return v, nil })

// ErrMine is a program's own sentinel error, registered so that errors.Is
// finds it after it crossed a process boundary.
var ErrMine = errors.New("pooltest: my sentinel")

// CodedError is a program's own error type, registered so that errors.As
// finds it, fields and all.
type CodedError struct {
	Code int
	What string
}

func (e *CodedError) Error() string { return fmt.Sprintf("pooltest: code %d: %s", e.Code, e.What) }

func init() {
	pool.RegisterError(ErrMine)
	pool.RegisterErrorType[*CodedError]()
}

// Failure names an error Fails returns.
type Failure string

// Fails returns the error named by its input, each as a program would.
var Fails = pool.Register("pooltest.fails", func(ctx context.Context, which Failure) (int, error) {
	switch which {
	case "not-exist":
		_, err := os.Open("/pooltest/no/such/file")
		return 0, fmt.Errorf("loading config: %w", err)
	case "exist":
		return 0, &fs.PathError{Op: "mkdir", Path: "/tmp", Err: fs.ErrExist}
	case "permission":
		return 0, fmt.Errorf("open secrets: %w", fs.ErrPermission)
	case "eof":
		return 0, io.EOF
	case "unexpected-eof":
		return 0, fmt.Errorf("reading header: %w", io.ErrUnexpectedEOF)
	case "canceled":
		return 0, fmt.Errorf("gave up: %w", context.Canceled)
	case "deadline":
		return 0, fmt.Errorf("too slow: %w", context.DeadlineExceeded)
	case "errno":
		return 0, &os.SyscallError{Syscall: "write", Err: syscall.EPIPE}
	case "mine":
		return 0, fmt.Errorf("step 3: %w", ErrMine)
	case "coded":
		return 0, fmt.Errorf("step 4: %w", &CodedError{Code: 42, What: "bad dimensions"})
	case "joined":
		return 0, errors.Join(ErrMine, fs.ErrNotExist)
	}
	return 0, fmt.Errorf("pooltest: unknown failure %q", which)
})

// SharedMem opens the in-memory shared store inside the function, as a
// program opening "its" store in every function would.
var SharedMem = pool.Register("pooltest.sharedmem", func(ctx context.Context, key string) (int64, error) {
	c, err := shared.Open(ctx, "mem://")
	if err != nil {
		return 0, err
	}
	return shared.NewCounter(c, "pooltest.sharedmem").Add(ctx, 1)
})

// StorageMem opens an in-memory file system inside the function and writes
// to it, as a function writing "the run's" files would.
var StorageMem = pool.Register("pooltest.storagemem", func(ctx context.Context, name string) (int, error) {
	fsys, err := cloudfs.Open(ctx, "mem://")
	if err != nil {
		return 0, err
	}
	return 0, fsys.WriteFile(name, []byte("lost?"))
})

func testExactValues(t *testing.T, h Harness) {
	p := h.Open(t)
	n := 7
	pn := &n
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("zone database: %v (install tzdata)", err)
	}
	in := Values{
		Name:    "caf\xe9.txt",
		Lines:   []string{"na\xefve", "\xff\xfe"},
		Any:     int64(1<<60 + 1),
		Anys:    []any{uint8(3), int32(-4), float32(0.1), nil, []byte("x"), "y"},
		When:    time.Date(2026, 7, 14, 12, 0, 0, 123456789, paris),
		Ptr:     &pn,
		Empty:   []int{},
		Bytes:   []byte{0, 0xff},
		Floats:  []float64{math.NaN(), math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 0.1},
		ByZone:  map[string]time.Time{"utc": time.Unix(1, 2).UTC()},
		Complex: complex(1, -2),
	}
	out, err := Echo.Call(context.Background(), p, in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in.Floats {
		if math.Float64bits(out.Floats[i]) != math.Float64bits(in.Floats[i]) {
			t.Errorf("Floats[%d] = %v (bits %x), want bits %x", i, out.Floats[i], math.Float64bits(out.Floats[i]), math.Float64bits(in.Floats[i]))
		}
	}
	if !out.When.Equal(in.When) || out.When.Location().String() != "Europe/Paris" {
		t.Errorf("When = %v in %q, want %v in Europe/Paris", out.When, out.When.Location(), in.When)
	}
	if got := out.ByZone["utc"]; !got.Equal(in.ByZone["utc"]) || got.Location() != time.UTC {
		t.Errorf("ByZone[utc] = %v", got)
	}
	if out.Ptr == nil || *out.Ptr == nil || **out.Ptr != 7 {
		t.Errorf("Ptr lost")
	}
	out.Floats, in.Floats = nil, nil
	out.When, in.When = time.Time{}, time.Time{}
	out.ByZone, in.ByZone = nil, nil
	out.Ptr, in.Ptr = nil, nil
	if !reflect.DeepEqual(out, in) {
		t.Errorf("Echo changed its input:\n got %#v\nwant %#v", out, in)
	}
}

func testErrorIdentity(t *testing.T, h Harness) {
	p := h.Open(t)
	ctx := context.Background()
	var pathErr *fs.PathError
	var coded *CodedError
	var errno syscall.Errno
	for _, c := range []struct {
		which Failure
		is    []error
		as    any
	}{
		{"not-exist", []error{fs.ErrNotExist, syscall.ENOENT}, &pathErr},
		{"exist", []error{fs.ErrExist}, &pathErr},
		{"permission", []error{fs.ErrPermission}, nil},
		{"eof", []error{io.EOF}, nil},
		{"unexpected-eof", []error{io.ErrUnexpectedEOF}, nil},
		{"canceled", []error{context.Canceled}, nil},
		{"deadline", []error{context.DeadlineExceeded}, nil},
		{"errno", []error{syscall.EPIPE}, &errno},
		{"mine", []error{ErrMine}, nil},
		{"coded", nil, &coded},
		{"joined", []error{ErrMine, fs.ErrNotExist}, nil},
	} {
		t.Run(string(c.which), func(t *testing.T) {
			_, err := Fails.Call(ctx, p, c.which)
			if err == nil {
				t.Fatal("no error")
			}
			_, localErr := Fails.Call(ctx, localPool(t), c.which)
			var ce *pool.CallError
			if !errors.As(err, &ce) || ce.Err.Error() != errors.Unwrap(localErr).Error() {
				t.Errorf("message %q, want the function's own %q", errors.Unwrap(err), errors.Unwrap(localErr))
			}
			for _, target := range c.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false, as on local://", err, target)
				}
			}
			if c.as != nil {
				if !errors.As(err, c.as) {
					t.Fatalf("errors.As(%v, %T) = false, as on local://", err, c.as)
				}
				switch c.which {
				case "not-exist":
					if pathErr.Path != "/pooltest/no/such/file" || pathErr.Op != "open" {
						t.Errorf("*fs.PathError = %+v", pathErr)
					}
				case "coded":
					if coded.Code != 42 || coded.What != "bad dimensions" {
						t.Errorf("*CodedError = %+v", coded)
					}
				case "errno":
					if errno != syscall.EPIPE {
						t.Errorf("Errno = %v", errno)
					}
				}
			}
		})
	}
}

// localPool is the baseline the other backends must agree with.
func localPool(t *testing.T) *pool.Pool {
	p, err := pool.Open(context.Background(), "local://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func testSharedMem(t *testing.T, h Harness) {
	p := h.Open(t)
	ctx := context.Background()
	var err error
	for _, key := range []string{"a", "b"} {
		if _, err = SharedMem.Call(ctx, p, key); err != nil {
			break
		}
	}
	if !h.Remote || h.InProcess {
		if err != nil {
			t.Fatalf("in one process mem:// is shared: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "mem://") || !strings.Contains(err.Error(), "worker") {
		t.Fatalf("err = %v; want Open of mem:// in a worker process refused, naming why", err)
	}
}

func testStorageMem(t *testing.T, h Harness) {
	p := h.Open(t)
	_, err := StorageMem.Call(context.Background(), p, "out.txt")
	if !h.Remote || h.InProcess {
		if err != nil {
			t.Fatalf("in one process mem:// is this process's memory: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "mem://") || !strings.Contains(err.Error(), "worker") {
		t.Fatalf("err = %v; want cloudfs.Open of mem:// in a worker process refused, naming why", err)
	}
}

// Digest is a walked file's name and checksum, the MD5All pipeline's result
// with its fields exported (the errgroup example's result{path, sum} is
// refused at Register).
type Digest struct {
	Path string
	Sum  [md5.Size]byte
}

// Sum is the pipeline's remote stage: the checksum of a name's bytes.
var Sum = pool.Register("pooltest.sum", func(ctx context.Context, path string) (Digest, error) {
	return Digest{Path: path, Sum: md5.Sum([]byte(path))}, nil
})

// testPipeline is MD5All's shape: a local walker feeding names to local
// workers that call the function through the pool in the group's context
// (no *Pool threaded through), and a local consumer; names are not UTF-8.
func testPipeline(t *testing.T, h Harness) {
	p := h.Open(t)
	var names []string
	for i := range 40 {
		names = append(names, fmt.Sprintf("dir\xff/caf\xe9-%02d.txt", i))
	}
	g, _ := pool.WithContext(context.Background(), p)
	paths, digests := make(chan string), make(chan Digest)
	g.GoLocal(func(ctx context.Context) error {
		defer close(paths)
		for _, n := range names {
			select {
			case paths <- n:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	const digesters = 4
	var left atomic.Int32
	left.Store(digesters)
	for range digesters {
		g.GoLocal(func(ctx context.Context) error {
			defer func() {
				if left.Add(-1) == 0 {
					close(digests)
				}
			}()
			for path := range paths {
				d, err := Sum.Call(ctx, nil, path)
				if err != nil {
					return err
				}
				select {
				case digests <- d:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	got := map[string][md5.Size]byte{}
	for d := range digests {
		got[d.Path] = d.Sum
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if s, ok := got[n]; !ok || s != md5.Sum([]byte(n)) {
			t.Errorf("%+q: sum %x, present %v; want %x", n, s, ok, md5.Sum([]byte(n)))
		}
	}
	if len(got) != len(names) {
		t.Errorf("%d results, want %d (names changed on the way: %+q)", len(got), len(names), slices.Sorted(maps.Keys(got)))
	}

	// A failing local stage cancels the remote calls, and a failing call the
	// local stages: one error, one cancellation.
	stop := errors.New("pooltest: the walker failed")
	g, ctx := pool.WithContext(context.Background(), p)
	long := time.Hour
	if !h.CancelReachesFunction {
		long = time.Second // the platform lets the abandoned call run on
	}
	slow := Sleep.Go(g, long)
	g.GoLocal(func(ctx context.Context) error { return stop })
	if err := g.Wait(); !errors.Is(err, stop) || !errors.Is(context.Cause(ctx), stop) {
		t.Fatalf("Wait = %v, cause %v; want the local stage's error", err, context.Cause(ctx))
	}
	if _, err := slow.Get(context.Background()); err == nil {
		t.Fatal("the remote call outlived the local stage's failure")
	}
	g, _ = pool.WithContext(context.Background(), p)
	var cancelled atomic.Bool
	g.GoLocal(func(ctx context.Context) error {
		<-ctx.Done()
		cancelled.Store(true)
		return nil
	})
	Fails.Go(g, "mine")
	if err := g.Wait(); !errors.Is(err, ErrMine) || !cancelled.Load() {
		t.Fatalf("Wait = %v, local stage cancelled %v; want the call's error and the stage cancelled", err, cancelled.Load())
	}
}

// The types of issue 13's programs that lost data on the way are refused
// when registered, on every backend (the check does not depend on where
// calls run, so local:// cannot hide it).
type (
	unexportedResult struct {
		path string
		sum  [md5.Size]byte
	}
	workWithChan struct {
		Name string
		Done chan struct{}
	}
)

func testRegisterRefuses(t *testing.T, h Harness) {
	for _, c := range []struct {
		name     string
		register func()
		want     string
	}{
		{"unexported fields", func() {
			pool.Register("pooltest.refused.result", func(ctx context.Context, path string) (unexportedResult, error) {
				return unexportedResult{}, nil
			})
		}, "pooltest.unexportedResult.path: unexported field would be dropped"},
		{"chan", func() {
			pool.Register("pooltest.refused.work", func(ctx context.Context, w workWithChan) (int, error) { return 0, nil })
		}, "pooltest.workWithChan.Done: chan struct {} cannot be encoded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), c.want) {
					t.Fatalf("Register panicked with %v, want %q", r, c.want)
				}
			}()
			c.register()
		})
	}
}
