package providers

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/burst-dev/burst/pool/driver"
)

// Config is a parsed burst.yaml. The zero Config, with its defaults applied,
// runs everything in this process.
//
// Beside compute, storage and shared, the file has one section per backend,
// under the backend's name (aws:, slurm:, …). Each backend linked into the
// program registers its section (driver.RegisterSection): the section's
// keys, their checks and the pool URL they make belong to the backend, and
// this package only reads the file and asks the backend compute.backend
// names. Every section also takes pricing: (see Pricing).
type Config struct {
	// Path is the file the config came from; empty for the built-in default.
	Path string `yaml:"-"`

	Compute Compute `yaml:"compute"`
	// Storage is the cloudfs URL for files and spilled payloads
	// (s3://, gs://, azblob://, file://, mem://). Default: a mem:// store
	// when everything runs in one process, else required.
	Storage string `yaml:"storage"`
	// Shared is the shared-state URL (redis://…, or mem:// in one process).
	Shared string `yaml:"shared"`

	sections map[string]driver.Section // every linked backend's, decoded (zero when not given)
	pricing  map[string]Pricing        // each section's pricing:
	pos      map[string]position       // dotted key → where the file gives it
	envSrc   map[string]string         // dotted key → environment variable that set it
}

// Compute says where calls run.
type Compute struct {
	// Backend is the name of a backend linked into the program: local,
	// process, aws, gcp, azure, ibm, openwhisk, knative, slurm, tcp.
	// Default local.
	Backend string `yaml:"backend"`
	// URL is a complete pool URL, used as is instead of Backend and the
	// backend's section (for backends and parameters this file does not
	// model).
	URL string `yaml:"url"`
	// Function is the deployed function's name (required for cloud backends).
	Function string `yaml:"function"`
	// Memory is the function's memory in MB (deploy; cost estimate).
	Memory int `yaml:"memory"`
	// CPU is the vCPUs per instance where the provider bills them apart
	// (gcp, ibm); 0 means the provider's default for Memory.
	CPU float64 `yaml:"cpu"`
	// Timeout bounds each call (a Go duration such as 30s or 15m).
	Timeout Duration `yaml:"timeout"`
	// Concurrency is how many calls run at once.
	Concurrency int `yaml:"concurrency"`
	// Retries is how many times a throttled or lost call is tried again.
	Retries *int `yaml:"retries"`
	// Workers is the number of worker processes (process backend) or of
	// workers in Slurm jobs (slurm backend).
	Workers int `yaml:"workers"`
	// Codec encodes arguments and results: bin (default), json or gob.
	Codec string `yaml:"codec"`
}

// Pricing is a provider's list prices, the pricing: key of its section;
// zero fields take the defaults in DefaultPricing.
type Pricing struct {
	PerGBSecond        float64 `yaml:"per_gb_second"`
	PerVCPUSecond      float64 `yaml:"per_vcpu_second"`
	PerMillionRequests float64 `yaml:"per_million_requests"`
	// Date says when the prices were looked up (free text, e.g. 2026-11).
	Date string `yaml:"date"`
}

// Section returns the config's section of the backend name (a pointer to
// the backend package's Section type, such as *aws.Section), zero when the
// file does not give it; nil when no backend of that name is linked.
func (c *Config) Section(name string) driver.Section { return c.sections[name] }

// Pricing returns the pricing: key of the backend name's section.
func (c *Config) Pricing(name string) Pricing { return c.pricing[name] }

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalYAML writes d as it is read, a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// UnmarshalYAML reads a Go duration string. Its error is a *yaml.TypeError,
// so that the decoder goes on and reports every bad key of the file.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < 0 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d column %d: want %s, got %s", n.Line, n.Column, durationWord, describe(n))}}
	}
	*d = Duration(v)
	return nil
}

const durationWord = "a Go duration such as 30s, 5m or 1h30m"

// ConfigError is a bad config file or environment override. Its message
// names the file, line and column (or the environment variable), the key,
// what was wrong and what is accepted.
type ConfigError struct {
	File   string // file name, or "environment"
	Line   int    // 1-based; 0 when unknown
	Col    int    // 1-based; 0 when unknown
	Key    string // dotted path, e.g. "compute.memory"
	Reason string
}

func (e *ConfigError) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Col, e.Key, e.Reason)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Key, e.Reason)
}

// ConfigFile is the config file's base name.
const ConfigFile = "burst.yaml"

// EnvConfig names the environment variable holding the config file's path.
const EnvConfig = "BURST_CONFIG"

// Find returns the config file to use: path when not empty, else
// $BURST_CONFIG, else ./burst.yaml, else burst.yaml in the user config dir
// (~/.config/burst/ on Linux). It returns "" when none exists, which means
// everything runs in this process. An explicitly named file that does not
// exist is an error.
func Find(path string) (string, error) {
	for _, c := range []struct{ p, from string }{{path, "flag"}, {os.Getenv(EnvConfig), EnvConfig}} {
		if c.p == "" {
			continue
		}
		if _, err := os.Stat(c.p); err != nil {
			return "", fmt.Errorf("providers: config file %s (from %s): %w", c.p, c.from, err)
		}
		return c.p, nil
	}
	cands := []string{ConfigFile}
	if dir, err := os.UserConfigDir(); err == nil {
		cands = append(cands, filepath.Join(dir, "burst", ConfigFile))
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", nil
}

// Load finds (see Find), reads and validates the config, then applies
// environment overrides. With no file it returns the all-local default.
func Load(path string) (*Config, error) {
	p, err := Find(path)
	if err != nil {
		return nil, err
	}
	if p == "" {
		return defaultConfig(os.LookupEnv)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("providers: %w", err)
	}
	return parse(p, data, os.LookupEnv)
}

// Parse validates a config file's contents; name is used in errors.
// Environment overrides are applied.
func Parse(name string, data []byte) (*Config, error) { return parse(name, data, os.LookupEnv) }

// position is where a key is in the file.
type position struct{ line, col int }

// entry is one key of the file with its value; the top-level mapping is
// the entry of path "" (no key).
type entry struct {
	path     string
	key, val *yaml.Node
}

// index lists the keys of the mapping n and of the mappings under it.
func index(n *yaml.Node, prefix string, out []entry) []entry {
	if n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := join(prefix, k.Value)
		out = append(out, entry{path: p, key: k, val: v})
		out = index(v, p, out)
	}
	return out
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func parse(name string, data []byte, env func(string) (string, bool)) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line := yamlErrLine(err)
		if line == 0 {
			line = badByteLine(data)
		}
		return nil, &ConfigError{File: name, Line: line, Key: "(syntax)", Reason: yamlErrReason(err)}
	}
	var entries []entry
	if len(root.Content) > 0 {
		entries = index(root.Content[0], "", []entry{{val: root.Content[0]}})
	}
	// The YAML library decodes, strictly: every key must be one of the
	// document's (compute, storage, shared and the linked backends'
	// sections), every value of its key's type. It reports every bad key
	// at once, in file order; the node tree gives each its column and
	// dotted path.
	d := newDocument()
	v := reflect.New(d.t)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v.Interface()); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, &ConfigError{File: name, Line: yamlErrLine(err), Key: "(syntax)", Reason: yamlErrReason(err)}
		}
		return nil, d.typeErrors(name, entries, te)
	}
	c := &Config{Path: name, pos: map[string]position{}}
	for _, e := range entries[min(1, len(entries)):] {
		if _, dup := c.pos[e.path]; !dup {
			c.pos[e.path] = position{e.key.Line, e.key.Column}
		}
	}
	if err := c.load(d, v.Elem(), env); err != nil {
		return nil, err
	}
	return c, nil
}

// defaultConfig is the config of no file: everything in this process,
// unless the environment says otherwise.
func defaultConfig(env func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	d := newDocument()
	if err := c.load(d, reflect.New(d.t).Elem(), env); err != nil {
		return nil, err
	}
	return c, nil
}

// document is the type the file decodes into: compute, storage and shared,
// then one field per linked backend's section (its own keys inline, and
// pricing), built at run time from the sections registered.
type document struct {
	t     reflect.Type
	names []string // the backends, in the order of their fields (from field 3)
}

const firstSection = 3

// documents caches the document type per set of linked sections (which
// init functions register, so in practice one).
var documents sync.Map // strings.Join(backendNames(), " ") → document

func newDocument() document {
	names := backendNames()
	key := strings.Join(names, " ")
	if d, ok := documents.Load(key); ok {
		return d.(document)
	}
	d := buildDocument(names)
	documents.Store(key, d)
	return d
}

func buildDocument(names []string) document {
	fields := []reflect.StructField{
		{Name: "Compute", Type: reflect.TypeFor[Compute](), Tag: `yaml:"compute"`},
		{Name: "Storage", Type: reflect.TypeFor[string](), Tag: `yaml:"storage"`},
		{Name: "Shared", Type: reflect.TypeFor[string](), Tag: `yaml:"shared"`},
	}
	var d document
	for _, n := range names {
		s, _ := driver.NewSection(n)
		st := reflect.TypeOf(s)
		if st == nil || st.Kind() != reflect.Pointer || st.Elem().Kind() != reflect.Struct {
			continue // not a pointer to a struct: nothing the library can decode
		}
		sec := reflect.StructOf([]reflect.StructField{
			{Name: "Keys", Type: st.Elem(), Tag: `yaml:",inline"`},
			{Name: "Pricing", Type: reflect.TypeFor[Pricing](), Tag: `yaml:"pricing"`},
		})
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("B%d", len(d.names)), Type: sec, Tag: reflect.StructTag(`yaml:"` + n + `"`)})
		d.names = append(d.names, n)
	}
	d.t = reflect.StructOf(fields)
	return d
}

// backendNames are the linked backends with a config section: local and
// process first, then the others by name.
func backendNames() []string {
	names := driver.SectionNames()
	slices.SortStableFunc(names, func(a, b string) int {
		rank := func(s string) int { return cmp.Or(slices.Index([]string{"local", "process"}, s)+1, 3) }
		return cmp.Compare(rank(a), rank(b))
	})
	return names
}

// field is a key of a struct the file decodes into, inline fields flattened.
type field struct {
	name  string
	index []int
	t     reflect.Type
}

// fieldCache holds fieldsOf's answers by type.
var fieldCache sync.Map // reflect.Type → []field

func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	fs := structFields(t)
	fieldCache.Store(t, fs)
	return fs
}

func structFields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case !f.IsExported() || name == "-":
		case opts == "inline":
			for _, g := range fieldsOf(f.Type) {
				g.index = append([]int{i}, g.index...)
				out = append(out, g)
			}
		case name != "":
			out = append(out, field{name, []int{i}, f.Type})
		}
	}
	return out
}

func keysOf(t reflect.Type) []string {
	var ks []string
	for _, f := range fieldsOf(t) {
		ks = append(ks, f.name)
	}
	return ks
}

// isMapping reports whether values of t are written as a mapping of keys.
func isMapping(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != reflect.TypeFor[Duration]()
}

// typeAt is the Go type the value at a dotted path decodes into.
func (d document) typeAt(path string) (reflect.Type, bool) {
	t := d.t
	if path == "" {
		return t, true
	}
	for _, k := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if !isMapping(t) {
			return nil, false
		}
		i := slices.IndexFunc(fieldsOf(t), func(f field) bool { return f.name == k })
		if i < 0 {
			return nil, false
		}
		t = fieldsOf(t)[i].t
	}
	return t, true
}

// leaves lists the dotted paths of every scalar key, in document order.
func (d document) leaves() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for _, f := range fieldsOf(t) {
			if isMapping(f.t) {
				walk(f.t, join(prefix, f.name))
				continue
			}
			out = append(out, join(prefix, f.name))
		}
	}
	walk(d.t, "")
	return out
}

// computeAccepts says what the compute keys with a range accept.
var computeAccepts = map[string]string{
	"compute.memory":      "a whole number from 128 to 32768",
	"compute.cpu":         "a number ≥ 0",
	"compute.concurrency": "a whole number ≥ 1",
	"compute.retries":     "a whole number ≥ 0",
	"compute.workers":     "a whole number ≥ 1",
	"compute.timeout":     durationWord,
}

// want says what the key at path accepts.
func (d document) want(path string) string {
	if w, ok := computeAccepts[path]; ok {
		return w
	}
	t, ok := d.typeAt(path)
	if !ok {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[Duration]() || t == reflect.TypeFor[time.Duration]():
		return durationWord
	case isMapping(t):
		return "a mapping of keys (" + strings.Join(keysOf(t), ", ") + ")"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32:
		return "a number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	}
	return t.String()
}

// accepted lists the keys accepted under the mapping at path.
func (d document) accepted(path string) string {
	if path == "" {
		return "accepted keys at the top level: compute, storage, shared, and the section of a backend linked into this program: " +
			strings.Join(d.names, ", ")
	}
	t, _ := d.typeAt(path)
	if t == nil || !isMapping(t) {
		return "no keys are accepted under " + path
	}
	return "accepted keys under " + path + ": " + strings.Join(keysOf(t), ", ")
}

var (
	reLine  = regexp.MustCompile(`(?s)^line (\d+)(?: column (\d+))?: (.*)$`)
	reField = regexp.MustCompile(`^field (.+) not found in type `)
	reDup   = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	reType  = regexp.MustCompile("(?s)^cannot unmarshal !!(\\w+)(?: `(.*)`)? into ")
)

// typeErrors turns the YAML library's messages, "line N: …", into
// ConfigErrors with the key's dotted path, column and what is accepted,
// sorted by position so that a file always gives the same error.
func (d document) typeErrors(file string, entries []entry, te *yaml.TypeError) error {
	var errs []*ConfigError
	for _, msg := range te.Errors {
		errs = append(errs, d.typeError(file, entries, msg))
	}
	slices.SortFunc(errs, func(a, b *ConfigError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Reason, b.Reason))
	})
	errs = slices.CompactFunc(errs, func(a, b *ConfigError) bool { return *a == *b })
	if len(errs) == 1 {
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

func (d document) typeError(file string, entries []entry, msg string) *ConfigError {
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		return &ConfigError{File: file, Key: "(unknown)", Reason: msg}
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	rest := m[3]
	find := func(ok func(e entry) bool) (entry, bool) {
		i := slices.IndexFunc(entries, ok)
		if i < 0 {
			return entry{}, false
		}
		return entries[i], true
	}
	at := func(e entry, n *yaml.Node, reason string) *ConfigError {
		return &ConfigError{File: file, Line: n.Line, Col: n.Column, Key: cmp.Or(e.path, "(top level)"), Reason: reason}
	}
	if f := reField.FindStringSubmatch(rest); f != nil {
		if e, ok := find(func(e entry) bool { return e.key != nil && e.key.Line == line && e.key.Value == f[1] }); ok {
			parent := ""
			if i := strings.LastIndex(e.path, "."); i >= 0 {
				parent = e.path[:i]
			}
			reason := "unknown key (" + d.accepted(parent) + ")"
			if parent == "" && e.val.Kind == yaml.MappingNode {
				reason += fmt.Sprintf("; if %s is a backend, link it: _ \"github.com/burst-dev/burst/pool/%s\"", e.path, e.path)
			}
			return at(e, e.key, reason)
		}
	}
	if f := reDup.FindStringSubmatch(rest); f != nil {
		if e, ok := find(func(e entry) bool { return e.key != nil && e.key.Line == line && e.key.Value == f[1] }); ok {
			return at(e, e.key, "given twice (first at line "+f[2]+")")
		}
	}
	if f := reType.FindStringSubmatch(rest); f != nil {
		prefix := strings.TrimSuffix(f[2], "...")
		if e, ok := find(func(e entry) bool {
			return e.val.Line == line && strings.TrimPrefix(e.val.ShortTag(), "!!") == f[1] && strings.HasPrefix(e.val.Value, prefix)
		}); ok {
			return at(e, e.val, "want "+d.want(e.path)+", got "+describe(e.val))
		}
	}
	if col > 0 {
		// Our own types' messages ("line N column C: want …") are whole.
		if e, ok := find(func(e entry) bool { return e.val.Line == line && e.val.Column == col }); ok {
			return at(e, e.val, rest)
		}
	}
	return &ConfigError{File: file, Line: line, Col: col, Key: "(unknown)", Reason: rest}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%s %q", strings.TrimPrefix(n.ShortTag(), "!!"), n.Value)
}

// load applies environment overrides to the decoded document, takes the
// config from it, applies defaults and validates.
func (c *Config) load(d document, doc reflect.Value, env func(string) (string, bool)) error {
	if err := c.applyEnv(d, doc, env); err != nil {
		return err
	}
	c.Compute = doc.Field(0).Interface().(Compute)
	c.Storage = doc.Field(1).String()
	c.Shared = doc.Field(2).String()
	c.sections = map[string]driver.Section{}
	c.pricing = map[string]Pricing{}
	for i, n := range d.names {
		v := doc.Field(firstSection + i)
		s, _ := driver.NewSection(n)
		reflect.ValueOf(s).Elem().Set(v.Field(0))
		c.sections[n] = s
		c.pricing[n] = v.Field(1).Interface().(Pricing)
	}
	return c.finish()
}

// EnvName is the environment variable that overrides the config key at a
// dotted path: BURST_ + the path in upper case with dots as underscores,
// e.g. compute.memory → BURST_COMPUTE_MEMORY, aws.region → BURST_AWS_REGION.
func EnvName(path string) string {
	return "BURST_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// EnvKeys lists every config key that an environment variable can override,
// as dotted paths, in file order: compute's, storage, shared, then each
// linked backend's section.
func EnvKeys() []string { return newDocument().leaves() }

// applyEnv decodes each override with the YAML library, as if the file gave
// the variable's value as the key's.
func (c *Config) applyEnv(d document, doc reflect.Value, env func(string) (string, bool)) error {
	for _, path := range d.leaves() {
		name := EnvName(path)
		s, ok := env(name)
		if !ok || s == "" {
			continue
		}
		v := doc
		for _, k := range strings.Split(path, ".") {
			i := slices.IndexFunc(fieldsOf(v.Type()), func(f field) bool { return f.name == k })
			v = v.FieldByIndex(fieldsOf(v.Type())[i].index)
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return &ConfigError{File: "environment", Key: name + " (" + path + ")", Reason: fmt.Sprintf("want %s, got %q", d.want(path), s)}
		}
		if c.envSrc == nil {
			c.envSrc = map[string]string{}
		}
		c.envSrc[path] = name
	}
	return nil
}

// finish applies defaults and validates.
func (c *Config) finish() error {
	if c.Compute.Backend == "" {
		c.Compute.Backend = "local"
	}
	return c.validate()
}

// given reports whether the file or the environment sets key.
func (c *Config) given(key string) bool {
	_, inFile := c.pos[key]
	_, inEnv := c.envSrc[key]
	return inFile || inEnv
}

func (c *Config) fail(key, format string, args ...any) error {
	return c.failNear(key, "", fmt.Sprintf(format, args...))
}

// failNear is an error at key; a key the file does not give is placed at
// near (the key that asked for it) when given, else at its nearest
// enclosing key.
func (c *Config) failNear(key, near, reason string) error {
	file := cmp.Or(c.Path, "(no config file)")
	p, ok := c.pos[key]
	if !ok && near != "" {
		p, ok = c.pos[near]
	}
	for k := key; !ok; {
		i := strings.LastIndex(k, ".")
		if i < 0 {
			break
		}
		k = k[:i]
		p, ok = c.pos[k]
	}
	if src, ok := c.envSrc[key]; ok {
		file, p = "environment "+src, position{}
	}
	return &ConfigError{File: file, Line: p.line, Col: p.col, Key: key, Reason: reason}
}

// keyErr places a backend's *driver.KeyError in the file.
func (c *Config) keyErr(err error) error {
	var ke *driver.KeyError
	if errors.As(err, &ke) {
		return c.failNear(ke.Key, ke.Near, ke.Reason)
	}
	return fmt.Errorf("providers: %w", err)
}

// driverCompute is the compute section as backends see it. Backend is empty
// when compute.url names the backend (its section is not asked).
func (c *Config) driverCompute() driver.Compute {
	cp := c.Compute
	dc := driver.Compute{Backend: cp.Backend, Function: cp.Function, Memory: cp.Memory, CPU: cp.CPU,
		Timeout: cp.Timeout.D(), Concurrency: cp.Concurrency, Workers: cp.Workers}
	if cp.URL != "" {
		dc.Backend = ""
	}
	return dc
}

// sectionOf is the section of the backend name: the config's, or a zero one
// for a Config not made by Load or Parse; nil when name is not linked.
func (c *Config) sectionOf(name string) driver.Section {
	if s := c.sections[name]; s != nil {
		return s
	}
	s, _ := driver.NewSection(name)
	return s
}

func (c *Config) validate() error {
	cp := &c.Compute
	if cp.URL != "" && c.given("compute.backend") {
		return c.fail("compute.url", "give either compute.url or compute.backend, not both")
	}
	for _, r := range []struct {
		key string
		bad bool
		got any
	}{
		{"compute.memory", c.given("compute.memory") && (cp.Memory < 128 || cp.Memory > 32768), cp.Memory},
		{"compute.cpu", cp.CPU < 0, cp.CPU},
		{"compute.concurrency", c.given("compute.concurrency") && cp.Concurrency < 1, cp.Concurrency},
		{"compute.retries", cp.Retries != nil && *cp.Retries < 0, cp.Retries},
		{"compute.workers", c.given("compute.workers") && cp.Workers < 1, cp.Workers},
	} {
		if r.bad {
			if p, ok := r.got.(*int); ok {
				r.got = *p
			}
			return c.fail(r.key, "want %s, got %v", computeAccepts[r.key], r.got)
		}
	}
	if err := driver.Accept("compute.codec", cp.Codec, "bin", "json", "gob"); err != nil {
		return c.keyErr(err)
	}
	if cp.URL == "" && c.sectionOf(cp.Backend) == nil {
		return c.fail("compute.backend", "%q is not accepted (accepted, the backends linked into this program: %s); to link another, add the import\n\t_ \"github.com/burst-dev/burst/pool/%s\"\nor, for every backend, _ \"github.com/burst-dev/burst/providers/all\"",
			cp.Backend, strings.Join(backendNames(), ", "), cp.Backend)
	}
	caps, err := c.capabilities()
	if err != nil {
		return err
	}
	dc := c.driverCompute()
	for _, n := range backendNames() {
		if v, ok := c.sectionOf(n).(driver.Validator); ok {
			if err := v.Validate(dc); err != nil {
				return c.keyErr(err)
			}
		}
		p := c.pricing[n]
		for _, f := range []struct {
			key string
			x   float64
		}{{"per_gb_second", p.PerGBSecond}, {"per_vcpu_second", p.PerVCPUSecond}, {"per_million_requests", p.PerMillionRequests}} {
			if f.x < 0 {
				return c.fail(n+".pricing."+f.key, "want a number ≥ 0, got %v", f.x)
			}
		}
	}
	scheme, _ := c.scheme()
	if caps.Remote || scheme != "local" {
		// Workers, other processes, cannot see the driver's memory: storage
		// and shared state must live somewhere both sides reach, or each
		// worker would silently have its own.
		for _, kv := range [][2]string{{"storage", c.Storage}, {"shared", c.Shared}} {
			if strings.HasPrefix(kv[1], "mem://") {
				return c.fail(kv[0], "%s is in the driver's memory, which %s workers (other processes) cannot reach; use an object store URL (s3://, gs://, azblob://, file://) or redis://", kv[1], scheme)
			}
		}
	}
	for _, e := range []struct{ key, url, instead string }{
		{"compute.url", c.Compute.URL, "the backend's *_env parameter names the variable that holds its credential"},
		{"storage", c.Storage, "the object store's credentials come from its SDK's chain (environment, shared files, instance role)"},
	} {
		if err := driver.NoCredentials(e.key, e.url, e.instead); err != nil {
			return c.keyErr(err)
		}
	}
	return nil
}

// yaml.v3 syntax errors read "yaml: line N: message".
func yamlErrLine(err error) int {
	s := err.Error()
	if _, rest, ok := strings.Cut(s, "line "); ok {
		if num, _, ok := strings.Cut(rest, ":"); ok {
			if n, err := strconv.Atoi(num); err == nil {
				return n
			}
		}
	}
	return 0
}

// badByteLine is the line of data's first byte YAML refuses without saying
// where (a control character, invalid UTF-8), else its last line.
func badByteLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	if len(data) > 0 && data[len(data)-1] == '\n' {
		line--
	}
	return max(line, 1)
}

func yamlErrReason(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(s, ": "); i >= 0 && strings.HasPrefix(s, "line ") {
		s = s[i+2:]
	}
	return "not valid YAML: " + s
}

// Resolved is the config as the file would give it, defaults and
// environment overrides applied: a pointer to a struct with yaml tags
// (compute, storage, shared, then each linked backend's section with its
// keys inline and pricing), for printing.
func (c *Config) Resolved() any {
	d := newDocument()
	v := reflect.New(d.t)
	doc := v.Elem()
	doc.Field(0).Set(reflect.ValueOf(c.Compute))
	doc.Field(1).SetString(c.Storage)
	doc.Field(2).SetString(c.Shared)
	for i, n := range d.names {
		if s := c.sections[n]; s != nil {
			doc.Field(firstSection + i).Field(0).Set(reflect.ValueOf(s).Elem())
		}
		doc.Field(firstSection + i).Field(1).Set(reflect.ValueOf(c.pricing[n]))
	}
	return v.Interface()
}
