package codec

import (
	"encoding"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"time"
	"unsafe"
)

// Binary encodes Go values exactly: every value of a type that Check accepts
// decodes to the same value, bit for bit. Strings travel as their bytes
// (invalid UTF-8 included), integers and floats keep their type and bits
// inside interfaces, a time.Time keeps its location's name, nil stays nil and
// empty stays empty. It is a Go-only format: driver and worker are the same
// binary, so fields travel in declaration order without names. Use JSON for
// workers written in other languages.
//
// A type Check refuses (unexported fields, chan, func, unsafe.Pointer, an
// interface no registered type implements) is refused by Marshal and
// Unmarshal too, never encoded partly. Values held in an interface must be of
// a registered type (see Register); the predeclared types, []byte, []any,
// map[string]any, time.Time and time.Duration are registered already.
//
// Marshal encodes the value v points to when v is a pointer, so that
// Marshal(&x) and Unmarshal(b, &x) agree when x is itself an interface.
var Binary Codec = binCodec{}

// binVersion is the first byte of every Binary payload; a receiver refuses
// other versions rather than misreading them.
const binVersion = 1

// maxPointerDepth bounds how deep a chain of pointers Marshal follows: a
// cyclic value would otherwise never end.
const maxPointerDepth = 1 << 16

type binCodec struct{}

func (binCodec) Name() string { return "bin" }

func (binCodec) Marshal(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil, errors.New("codec bin: encode nil: pass a pointer to the variable holding it")
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, fmt.Errorf("codec bin: encode nil %s", rv.Type())
		}
		rv = rv.Elem()
	}
	tc := codecFor(rv.Type())
	if tc.err != nil {
		return nil, fmt.Errorf("codec bin: encode %s", tc.errFor(rv.Type()))
	}
	e := encState{buf: make([]byte, 1, 64)}
	e.buf[0] = binVersion
	tc.enc(&e, rv)
	if e.err != nil {
		return nil, fmt.Errorf("codec bin: encode %s: %w", rv.Type(), e.err)
	}
	return e.buf, nil
}

func (binCodec) Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("codec bin: decode into %s: want a non-nil pointer", typeName(v))
	}
	rv = rv.Elem()
	tc := codecFor(rv.Type())
	if tc.err != nil {
		return fmt.Errorf("codec bin: decode %s", tc.errFor(rv.Type()))
	}
	if len(data) == 0 || data[0] != binVersion {
		got := "no bytes"
		if len(data) > 0 {
			got = fmt.Sprintf("version byte %d", data[0])
		}
		return fmt.Errorf("codec bin: decode into %s: %s, want version %d (is the payload another codec's?)", rv.Type(), got, binVersion)
	}
	d := decState{buf: data[1:]}
	tc.dec(&d, rv)
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%d bytes left over", len(d.buf))
	}
	if d.err != nil {
		return fmt.Errorf("codec bin: decode into %s: %w", rv.Type(), d.err)
	}
	return nil
}

// Check reports whether Binary round-trips every value of type t exactly,
// and if not, names the first part of t that it would lose, as a path from
// t: "main.result.sum: unexported field would be dropped". pool.Register
// runs it on a function's input and output types.
func Check(t reflect.Type) error {
	tc := codecFor(t)
	if tc.err != nil {
		return errors.New(tc.errFor(t))
	}
	return nil
}

// typeError is why a type cannot be encoded, at a path relative to the type
// it was found in, so that a cached answer reads right from any parent.
type typeError struct {
	path string // ".sum", "[].ch", "" for the type itself
	msg  string
}

func (tc *typeCodec) errFor(root reflect.Type) string {
	return root.String() + tc.err.path + ": " + tc.err.msg
}

type typeCodec struct {
	enc func(*encState, reflect.Value)
	dec func(*decState, reflect.Value)
	err *typeError
}

type encState struct {
	buf   []byte
	depth int
	err   error
}

type decState struct {
	buf []byte
	err error
}

func (e *encState) uvarint(x uint64) { e.buf = binary.AppendUvarint(e.buf, x) }
func (e *encState) varint(x int64)   { e.buf = binary.AppendVarint(e.buf, x) }
func (e *encState) f32(x float32) {
	e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(x))
}
func (e *encState) f64(x float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(x))
}

// str writes s as its length and its bytes.
func (e *encState) str(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// length writes the length of v, a slice or map, as n+1, or 0 for nil, and
// reports whether its elements follow.
func (e *encState) length(v reflect.Value) bool {
	if v.IsNil() {
		e.uvarint(0)
		return false
	}
	e.uvarint(uint64(v.Len()) + 1)
	return true
}

func (e *encState) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

var errShort = errors.New("payload ends early")

func (d *decState) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.buf = nil
}

func (d *decState) uvarint() uint64 {
	x, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.buf = d.buf[n:]
	return x
}

func (d *decState) varint() int64 {
	x, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.buf = d.buf[n:]
	return x
}

func (d *decState) bytes(n int) []byte {
	if n > len(d.buf) {
		d.fail(errShort)
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

func f32at(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
func f64at(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }

// str reads what encState.str wrote.
func (d *decState) str() string {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.fail(errShort)
		return ""
	}
	return string(d.bytes(int(n)))
}

// length reads a length written by encState.length and checks that the
// payload can hold n elements of at least min bytes each. For nil it sets
// v to nil; ok is false then, and when the payload is bad.
func (d *decState) length(v reflect.Value, min int) (n int, ok bool) {
	x := d.uvarint()
	if d.err != nil {
		return 0, false
	}
	if x == 0 {
		v.SetZero()
		return 0, false
	}
	x--
	limit := uint64(len(d.buf))
	if min > 0 {
		limit /= uint64(min)
	} else {
		limit = 1 << 24 // elements of no size: bound them all the same
	}
	if x > limit {
		d.fail(fmt.Errorf("length %d exceeds what the payload can hold", x))
		return 0, false
	}
	return int(x), true
}

var (
	cacheMu sync.Mutex // serialises building; lookups go through cache
	cache   sync.Map   // reflect.Type -> *typeCodec
	timeT   = reflect.TypeFor[time.Time]()
	errorT  = reflect.TypeFor[error]()
	binM    = reflect.TypeFor[encoding.BinaryMarshaler]()
	binU    = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	gobE    = reflect.TypeFor[gob.GobEncoder]()
	gobD    = reflect.TypeFor[gob.GobDecoder]()
	textM   = reflect.TypeFor[encoding.TextMarshaler]()
	textU   = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonM   = reflect.TypeFor[json.Marshaler]()
	jsonU   = reflect.TypeFor[json.Unmarshaler]()
)

func codecFor(t reflect.Type) *typeCodec {
	if c, ok := cache.Load(t); ok {
		return c.(*typeCodec)
	}
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if c, ok := cache.Load(t); ok {
		return c.(*typeCodec)
	}
	b := builder{built: map[reflect.Type]*typeCodec{}}
	c := b.build(t)
	for t, c := range b.built {
		cache.Store(t, c)
	}
	return c
}

type builder struct {
	built map[reflect.Type]*typeCodec
}

// build returns t's codec. A type met again while it is being built (a
// recursive type) gets the same *typeCodec, filled in when its build ends.
func (b *builder) build(t reflect.Type) *typeCodec {
	if c, ok := cache.Load(t); ok {
		return c.(*typeCodec)
	}
	if c, ok := b.built[t]; ok {
		return c
	}
	tc := &typeCodec{}
	b.built[t] = tc
	b.fill(tc, t)
	if tc.err != nil {
		tc.enc, tc.dec = nil, nil
	}
	return tc
}

// sub builds the codec of a part of a type and takes over its error at
// path. It reports whether the part is usable.
func (b *builder) sub(tc *typeCodec, t reflect.Type, path string) *typeCodec {
	c := b.build(t)
	if c.err != nil && tc.err == nil {
		tc.err = &typeError{path: path + c.err.path, msg: c.err.msg}
	}
	return c
}

func (b *builder) fill(tc *typeCodec, t reflect.Type) {
	if t == timeT {
		tc.enc, tc.dec = encTime, decTime
		return
	}
	pt := reflect.PointerTo(t)
	switch {
	case pt.Implements(binM) && pt.Implements(binU):
		tc.enc, tc.dec = marshalerCodec(t,
			func(v any) ([]byte, error) { return v.(encoding.BinaryMarshaler).MarshalBinary() },
			func(p any, b []byte) error { return p.(encoding.BinaryUnmarshaler).UnmarshalBinary(b) })
		return
	case pt.Implements(gobE) && pt.Implements(gobD):
		tc.enc, tc.dec = marshalerCodec(t,
			func(v any) ([]byte, error) { return v.(gob.GobEncoder).GobEncode() },
			func(p any, b []byte) error { return p.(gob.GobDecoder).GobDecode(b) })
		return
	}
	// A type the codec could take apart itself is encoded that way, exactly,
	// even if it has text or JSON methods: those may round (a float printed
	// short) where the bits would not.
	b.native(tc, t)
	if tc.err == nil || t.Kind() == reflect.Interface {
		return
	}
	switch {
	case pt.Implements(textM) && pt.Implements(textU):
		tc.err = nil
		tc.enc, tc.dec = marshalerCodec(t,
			func(v any) ([]byte, error) { return v.(encoding.TextMarshaler).MarshalText() },
			func(p any, b []byte) error { return p.(encoding.TextUnmarshaler).UnmarshalText(b) })
	case pt.Implements(jsonM) && pt.Implements(jsonU):
		tc.err = nil
		tc.enc, tc.dec = marshalerCodec(t,
			func(v any) ([]byte, error) { return v.(json.Marshaler).MarshalJSON() },
			func(p any, b []byte) error { return p.(json.Unmarshaler).UnmarshalJSON(b) })
	}
}

func (b *builder) native(tc *typeCodec, t reflect.Type) {
	fail := func(msg string, args ...any) { tc.err = &typeError{msg: fmt.Sprintf(msg, args...)} }
	switch t.Kind() {
	case reflect.Bool:
		tc.enc = func(e *encState, v reflect.Value) {
			if v.Bool() {
				e.buf = append(e.buf, 1)
			} else {
				e.buf = append(e.buf, 0)
			}
		}
		tc.dec = func(d *decState, v reflect.Value) {
			b := d.bytes(1)
			if len(b) == 1 {
				if b[0] > 1 {
					d.fail(fmt.Errorf("bool byte %d", b[0]))
					return
				}
				v.SetBool(b[0] == 1)
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		tc.enc = func(e *encState, v reflect.Value) { e.varint(v.Int()) }
		tc.dec = func(d *decState, v reflect.Value) {
			x := d.varint()
			if d.err == nil && v.OverflowInt(x) {
				d.fail(fmt.Errorf("%d overflows %d-bit %s", x, bits, v.Type()))
				return
			}
			v.SetInt(x)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		tc.enc = func(e *encState, v reflect.Value) { e.uvarint(v.Uint()) }
		tc.dec = func(d *decState, v reflect.Value) {
			x := d.uvarint()
			if d.err == nil && v.OverflowUint(x) {
				d.fail(fmt.Errorf("%d overflows %s", x, v.Type()))
				return
			}
			v.SetUint(x)
		}
	case reflect.Float32:
		tc.enc = func(e *encState, v reflect.Value) { e.f32(float32(v.Float())) }
		tc.dec = func(d *decState, v reflect.Value) {
			if b := d.bytes(4); b != nil {
				v.SetFloat(float64(f32at(b)))
			}
		}
	case reflect.Float64:
		tc.enc = func(e *encState, v reflect.Value) { e.f64(v.Float()) }
		tc.dec = func(d *decState, v reflect.Value) {
			if b := d.bytes(8); b != nil {
				v.SetFloat(f64at(b))
			}
		}
	case reflect.Complex64, reflect.Complex128:
		size := t.Size() / 2
		tc.enc = func(e *encState, v reflect.Value) {
			c := v.Complex()
			if size == 4 {
				e.f32(float32(real(c)))
				e.f32(float32(imag(c)))
				return
			}
			e.f64(real(c))
			e.f64(imag(c))
		}
		tc.dec = func(d *decState, v reflect.Value) {
			b := d.bytes(int(2 * size))
			if b == nil {
				return
			}
			if size == 4 {
				v.SetComplex(complex(float64(f32at(b)), float64(f32at(b[4:]))))
				return
			}
			v.SetComplex(complex(f64at(b), f64at(b[8:])))
		}
	case reflect.String:
		tc.enc = func(e *encState, v reflect.Value) { e.str(v.String()) }
		tc.dec = func(d *decState, v reflect.Value) { v.SetString(d.str()) }
	case reflect.Slice:
		b.slice(tc, t)
	case reflect.Array:
		ec := b.sub(tc, t.Elem(), "[]")
		n := t.Len()
		if tc.err != nil {
			return
		}
		tc.enc = func(e *encState, v reflect.Value) {
			for i := range n {
				ec.enc(e, v.Index(i))
			}
		}
		tc.dec = func(d *decState, v reflect.Value) {
			for i := 0; i < n && d.err == nil; i++ {
				ec.dec(d, v.Index(i))
			}
		}
	case reflect.Map:
		kc := b.sub(tc, t.Key(), "[key]")
		vc := b.sub(tc, t.Elem(), "[]")
		if tc.err != nil {
			return
		}
		kt, vt := t.Key(), t.Elem()
		tc.enc = func(e *encState, v reflect.Value) {
			if !e.length(v) {
				return
			}
			it := v.MapRange()
			k, x := reflect.New(kt).Elem(), reflect.New(vt).Elem()
			for it.Next() {
				k.SetIterKey(it)
				x.SetIterValue(it)
				kc.enc(e, k)
				vc.enc(e, x)
			}
		}
		tc.dec = func(d *decState, v reflect.Value) {
			n, ok := d.length(v, 1)
			if !ok {
				return
			}
			m := reflect.MakeMapWithSize(t, n)
			for range n {
				k, x := reflect.New(kt).Elem(), reflect.New(vt).Elem()
				kc.dec(d, k)
				vc.dec(d, x)
				if d.err != nil {
					return
				}
				m.SetMapIndex(k, x)
			}
			v.Set(m)
		}
	case reflect.Pointer:
		ec := b.sub(tc, t.Elem(), "")
		if tc.err != nil {
			return
		}
		et := t.Elem()
		tc.enc = func(e *encState, v reflect.Value) {
			if v.IsNil() {
				e.buf = append(e.buf, 0)
				return
			}
			if e.depth++; e.depth > maxPointerDepth {
				e.fail(fmt.Errorf("pointers nested deeper than %d (a cycle?)", maxPointerDepth))
				return
			}
			e.buf = append(e.buf, 1)
			ec.enc(e, v.Elem())
			e.depth--
		}
		tc.dec = func(d *decState, v reflect.Value) {
			b := d.bytes(1)
			switch {
			case b == nil:
			case b[0] == 0:
				v.SetZero()
			case b[0] == 1:
				p := reflect.New(et)
				ec.dec(d, p.Elem())
				v.Set(p)
			default:
				d.fail(fmt.Errorf("pointer marker %d", b[0]))
			}
		}
	case reflect.Struct:
		b.structCodec(tc, t)
	case reflect.Interface:
		b.iface(tc, t)
	case reflect.Chan:
		fail("%s cannot be encoded (a channel cannot cross to another process)", t)
	case reflect.Func:
		fail("%s cannot be encoded (a function cannot cross to another process; register it and pass its inputs)", t)
	case reflect.UnsafePointer:
		fail("unsafe.Pointer cannot be encoded")
	default:
		fail("%s cannot be encoded", t)
	}
}

func (b *builder) slice(tc *typeCodec, t reflect.Type) {
	et := t.Elem()
	switch et.Kind() {
	case reflect.Uint8: // []byte and its named kin, in one copy
		if !isMarshaler(et) {
			tc.enc = func(e *encState, v reflect.Value) {
				if e.length(v) {
					e.buf = append(e.buf, v.Bytes()...)
				}
			}
			tc.dec = func(d *decState, v reflect.Value) {
				if n, ok := d.length(v, 1); ok {
					s := reflect.MakeSlice(t, n, n)
					copy(s.Bytes(), d.bytes(n))
					v.Set(s)
				}
			}
			return
		}
	case reflect.Float64: // coordinates, energies: the common bulk payload
		if !isMarshaler(et) {
			tc.enc = func(e *encState, v reflect.Value) {
				if e.length(v) {
					for _, x := range unsafe.Slice((*float64)(v.UnsafePointer()), v.Len()) {
						e.f64(x)
					}
				}
			}
			tc.dec = func(d *decState, v reflect.Value) {
				if n, ok := d.length(v, 8); ok {
					s := reflect.MakeSlice(t, n, n)
					xs := unsafe.Slice((*float64)(s.UnsafePointer()), n)
					raw := d.bytes(8 * n)
					for i := range xs {
						xs[i] = f64at(raw[8*i:])
					}
					v.Set(s)
				}
			}
			return
		}
	}
	ec := b.sub(tc, et, "[]")
	if tc.err != nil {
		return
	}
	min := 1
	if et.Size() == 0 {
		min = 0
	}
	tc.enc = func(e *encState, v reflect.Value) {
		if e.length(v) {
			for i := range v.Len() {
				ec.enc(e, v.Index(i))
			}
		}
	}
	tc.dec = func(d *decState, v reflect.Value) {
		if n, ok := d.length(v, min); ok {
			s := reflect.MakeSlice(t, n, n)
			for i := 0; i < n && d.err == nil; i++ {
				ec.dec(d, s.Index(i))
			}
			v.Set(s)
		}
	}
}

func isMarshaler(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t == timeT || (pt.Implements(binM) && pt.Implements(binU)) || (pt.Implements(gobE) && pt.Implements(gobD))
}

func (b *builder) structCodec(tc *typeCodec, t reflect.Type) {
	type field struct {
		i int
		c *typeCodec
	}
	var fields []field
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "_" {
			continue // padding: it holds nothing to lose
		}
		if !f.IsExported() {
			// An embedded struct of an unexported type is no loss: its
			// exported fields are promoted (JSON encodes them too), and
			// reflect may set them. Take it apart field by field.
			if f.Anonymous && f.Type.Kind() == reflect.Struct && !isMarshaler(f.Type) {
				ec := &typeCodec{}
				b.structCodec(ec, f.Type)
				if ec.err != nil {
					tc.err = &typeError{path: "." + f.Name + ec.err.path, msg: ec.err.msg}
					return
				}
				fields = append(fields, field{i, ec})
				continue
			}
			tc.err = &typeError{path: "." + f.Name, msg: "unexported field would be dropped"}
			return
		}
		c := b.sub(tc, f.Type, "."+f.Name)
		if tc.err != nil {
			return
		}
		fields = append(fields, field{i, c})
	}
	tc.enc = func(e *encState, v reflect.Value) {
		for _, f := range fields {
			f.c.enc(e, v.Field(f.i))
		}
	}
	tc.dec = func(d *decState, v reflect.Value) {
		for _, f := range fields {
			if d.err != nil {
				return
			}
			f.c.dec(d, v.Field(f.i))
		}
	}
}

func (b *builder) iface(tc *typeCodec, t reflect.Type) {
	if t == errorT {
		tc.err = &typeError{msg: "an error value cannot be restored as its own type; return it from the function (pool carries errors) or carry its message as a string"}
		return
	}
	if t.NumMethod() > 0 && !anyRegisteredImplements(t) {
		tc.err = &typeError{msg: fmt.Sprintf("no registered type implements interface %s, so its values cannot be restored; register each concrete type with codec.Register before this check runs", t)}
		return
	}
	tc.enc = func(e *encState, v reflect.Value) {
		if v.IsNil() {
			e.uvarint(0)
			return
		}
		x := v.Elem()
		dt := x.Type()
		name, ok := registeredName(dt)
		if !ok {
			e.fail(fmt.Errorf("a %s held in an interface is not a registered type: call codec.Register(%s{}) at init so the receiver can restore it", dt, dt))
			return
		}
		c := codecFor(dt)
		if c.err != nil {
			e.fail(errors.New(c.errFor(dt)))
			return
		}
		e.str(name)
		c.enc(e, x)
	}
	tc.dec = func(d *decState, v reflect.Value) {
		name := d.str()
		if d.err != nil {
			return
		}
		if name == "" { // nil
			v.SetZero()
			return
		}
		dt, ok := registeredType(name)
		if !ok {
			d.fail(fmt.Errorf("type %q in an interface is not registered here (does the worker run the driver's build?)", name))
			return
		}
		if !dt.Implements(t) {
			d.fail(fmt.Errorf("type %s does not implement %s", name, t))
			return
		}
		x := reflect.New(dt).Elem()
		codecFor(dt).dec(d, x)
		if d.err == nil {
			v.Set(x)
		}
	}
}

func marshalerCodec(t reflect.Type, marshal func(any) ([]byte, error), unmarshal func(any, []byte) error) (func(*encState, reflect.Value), func(*decState, reflect.Value)) {
	enc := func(e *encState, v reflect.Value) {
		// The methods may have pointer receivers, and v need not be
		// addressable: call them on a copy.
		p := reflect.New(t)
		p.Elem().Set(v)
		b, err := marshal(p.Interface())
		if err != nil {
			e.fail(fmt.Errorf("%s: %w", t, err))
			return
		}
		e.uvarint(uint64(len(b)) + 1)
		e.buf = append(e.buf, b...)
	}
	dec := func(d *decState, v reflect.Value) {
		n, ok := d.length(v, 1)
		if !ok {
			return
		}
		p := reflect.New(t)
		if err := unmarshal(p.Interface(), d.bytes(n)); err != nil {
			d.fail(fmt.Errorf("%s: %w", t, err))
			return
		}
		v.Set(p.Elem())
	}
	return enc, dec
}

// A time.Time travels as Unix seconds, nanoseconds, and its location: UTC,
// Local, or a name with the offset in force at that instant, so that
// "Europe/Paris" comes back as Europe/Paris and not as a bare +01:00.
const (
	locUTC = iota
	locLocal
	locNamed
)

func encTime(e *encState, v reflect.Value) {
	t := v.Interface().(time.Time)
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
	switch loc := t.Location(); loc {
	case time.UTC:
		e.buf = append(e.buf, locUTC)
	case time.Local:
		e.buf = append(e.buf, locLocal)
	default:
		e.buf = append(e.buf, locNamed)
		_, off := t.Zone()
		e.str(loc.String())
		e.varint(int64(off))
	}
}

var locations sync.Map // name -> *time.Location; loading one reads the zone database

func decTime(d *decState, v reflect.Value) {
	sec := d.varint()
	nsec := d.uvarint()
	kind := d.bytes(1)
	if d.err != nil {
		return
	}
	if nsec >= 1e9 {
		d.fail(fmt.Errorf("time nanoseconds %d", nsec))
		return
	}
	t := time.Unix(sec, int64(nsec))
	switch kind[0] {
	case locUTC:
		t = t.UTC()
	case locLocal:
	case locNamed:
		name := d.str()
		off := d.varint()
		if d.err != nil {
			return
		}
		t = t.In(location(name, t, int(off)))
	default:
		d.fail(fmt.Errorf("time location kind %d", kind[0]))
		return
	}
	v.Set(reflect.ValueOf(t))
}

// location is the zone called name, as the zone database knows it when its
// offset at t agrees, else a fixed zone of that name and offset (what
// time.FixedZone made on the other side, or a database that differs).
func location(name string, t time.Time, off int) *time.Location {
	if l, ok := locations.Load(name); ok {
		if _, o := t.In(l.(*time.Location)).Zone(); o == off {
			return l.(*time.Location)
		}
		return time.FixedZone(name, off)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone(name, off)
	}
	locations.Store(name, l)
	if _, o := t.In(l).Zone(); o != off {
		return time.FixedZone(name, off)
	}
	return l
}
