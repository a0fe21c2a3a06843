package providers

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/burst-dev/burst/internal/redact"
)

// Config is a parsed burst.yaml. The zero Config, with its defaults applied,
// runs everything in this process.
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

	AWS       AWS       `yaml:"aws"`
	GCP       GCP       `yaml:"gcp"`
	Azure     Azure     `yaml:"azure"`
	IBM       IBM       `yaml:"ibm"`
	OpenWhisk OpenWhisk `yaml:"openwhisk"`
	Knative   Knative   `yaml:"knative"`
	Slurm     Slurm     `yaml:"slurm"`

	lines  map[string]int    // dotted key → line in Path
	envSrc map[string]string // dotted key → environment variable that set it
}

// Compute says where calls run.
type Compute struct {
	// Backend is one of local, process, aws, gcp, azure, ibm, openwhisk,
	// knative, slurm. Default local.
	Backend string `yaml:"backend" accept:"local|process|aws|gcp|azure|ibm|openwhisk|knative|slurm"`
	// URL is a complete pool URL, used as is instead of Backend and the
	// provider block (for backends and parameters this file does not model).
	URL string `yaml:"url"`
	// Function is the deployed function's name (required for cloud backends).
	Function string `yaml:"function"`
	// Memory is the function's memory in MB (deploy; cost estimate).
	Memory int `yaml:"memory" min:"128" max:"32768"`
	// CPU is the vCPUs per instance where the provider bills them apart
	// (gcp, ibm); 0 means the provider's default for Memory.
	CPU float64 `yaml:"cpu"`
	// Timeout bounds each call (a Go duration such as 30s or 15m).
	Timeout Duration `yaml:"timeout"`
	// Concurrency is how many calls run at once.
	Concurrency int `yaml:"concurrency" min:"1"`
	// Retries is how many times a throttled or lost call is tried again.
	Retries *int `yaml:"retries" min:"0"`
	// Workers is the number of worker processes (process backend) or of
	// workers in Slurm jobs (slurm backend).
	Workers int `yaml:"workers" min:"1"`
	// Codec encodes arguments and results: json (default) or gob.
	Codec string `yaml:"codec" accept:"bin|json|gob"`
}

// AWS configures the aws backend (AWS Lambda).
type AWS struct {
	Region string `yaml:"region"`
	// Credentials says where credentials come from: default (the SDK chain:
	// env, shared files, SSO, instance role), env (AWS_ACCESS_KEY_ID/…
	// only) or profile (the named Profile). Secrets never go in this file.
	Credentials string `yaml:"credentials" accept:"default|env|profile"`
	Profile     string `yaml:"profile"`
	// Endpoint overrides the Lambda endpoint (an emulator, a VPC endpoint).
	Endpoint  string `yaml:"endpoint"`
	Qualifier string `yaml:"qualifier"`
	// BuildID is the build id burst deploy stamped on the function, sent in
	// every call instead of the driver's own (see docs/providers/aws.md).
	BuildID string `yaml:"build_id"`
	// Role is the execution role ARN the deploy command gives a new function.
	Role string `yaml:"role"`
	// Architecture of the function: x86_64 (default) or arm64.
	Architecture string  `yaml:"architecture" accept:"x86_64|arm64"`
	Pricing      Pricing `yaml:"pricing"`
}

// GCP configures the gcp backend (Cloud Run functions).
type GCP struct {
	Project string `yaml:"project"`
	Region  string `yaml:"region"`
	// Credentials: default (Application Default Credentials) or file
	// (CredentialsFile, a service-account key path — the path, not the key).
	Credentials     string `yaml:"credentials" accept:"default|file"`
	CredentialsFile string `yaml:"credentials_file"`
	// Endpoint is the function's URL when it is not
	// https://REGION-PROJECT.cloudfunctions.net/FUNCTION (a run.app URL).
	Endpoint string  `yaml:"endpoint"`
	Pricing  Pricing `yaml:"pricing"`
}

// Azure configures the azure backend (Azure Functions, custom handler).
type Azure struct {
	// App is the function app's name (https://APP.azurewebsites.net).
	App string `yaml:"app"`
	// Endpoint replaces the app's base URL (another host name).
	Endpoint string `yaml:"endpoint"`
	// KeyEnv names the environment variable that holds the function key.
	KeyEnv string `yaml:"key_env"`
	// Subscription and ResourceGroup locate the app for burst deploy
	// (credentials from azidentity's default chain: az login, environment,
	// managed identity).
	Subscription  string `yaml:"subscription"`
	ResourceGroup string `yaml:"resource_group"`
	// ManagementEndpoint and SCMEndpoint override the Azure Resource
	// Manager and the app's Kudu site for burst deploy (sovereign clouds).
	ManagementEndpoint string  `yaml:"management_endpoint"`
	SCMEndpoint        string  `yaml:"scm_endpoint"`
	Pricing            Pricing `yaml:"pricing"`
}

// IBM configures the ibm backend (an IBM Cloud Code Engine application).
type IBM struct {
	// Endpoint is the application's URL, https://APP.ID.REGION.codeengine.appdomain.cloud.
	Endpoint string `yaml:"endpoint"`
	// APIKeyEnv names the environment variable holding the IBM Cloud API key.
	APIKeyEnv string `yaml:"api_key_env"`
	// Project (the Code Engine project's ID) and Region locate the
	// application for burst deploy.
	Project string `yaml:"project"`
	Region  string `yaml:"region"`
	// Image is where burst deploy pushes the worker image
	// (registry/namespace/repository[:tag], e.g. icr.io/me/burst-worker);
	// ImageSecret names the project's registry secret for a private image.
	Image       string `yaml:"image"`
	ImageSecret string `yaml:"image_secret"`
	// APIEndpoint overrides the Code Engine API
	// (https://api.REGION.codeengine.cloud.ibm.com/v2) and IAMEndpoint the
	// token exchange.
	APIEndpoint string  `yaml:"api_endpoint"`
	IAMEndpoint string  `yaml:"iam_endpoint"`
	Pricing     Pricing `yaml:"pricing"`
}

// OpenWhisk configures the openwhisk backend (Apache OpenWhisk actions).
type OpenWhisk struct {
	Endpoint  string `yaml:"endpoint"`
	Namespace string `yaml:"namespace"`
	// AuthEnv names the environment variable holding "uuid:key".
	AuthEnv string  `yaml:"auth_env"`
	Pricing Pricing `yaml:"pricing"`
}

// Knative configures the knative backend (a Knative Service over HTTP).
type Knative struct {
	Endpoint string `yaml:"endpoint"`
	// TokenEnv names the environment variable holding a bearer token.
	TokenEnv string `yaml:"token_env"`
	// Image is where burst deploy pushes the worker image
	// (registry/repository[:tag]).
	Image string `yaml:"image"`
	// APIServer is the Kubernetes API server burst deploy creates the
	// Service through, Namespace the Service's (default "default") and
	// APITokenEnv the variable holding a bearer token for the API server.
	APIServer   string  `yaml:"api_server"`
	Namespace   string  `yaml:"namespace"`
	APITokenEnv string  `yaml:"api_token_env"`
	Pricing     Pricing `yaml:"pricing"`
}

// Slurm configures the slurm backend: workers as the steps of Slurm jobs
// that dial back to the driver (see docs/providers/slurm.md). Resources map
// to the sbatch options of the same names; compute.workers is the number of
// workers.
type Slurm struct {
	Nodes       int    `yaml:"nodes" min:"0"`
	CPUsPerTask int    `yaml:"cpus_per_task" min:"0"`
	Mem         string `yaml:"mem"`
	MemPerCPU   string `yaml:"mem_per_cpu"`
	Partition   string `yaml:"partition"`
	Account     string `yaml:"account"`
	QOS         string `yaml:"qos"`
	// Time is the jobs' time limit, as sbatch --time takes it (02:00:00).
	Time string `yaml:"time"`
	// Sbatch are more sbatch options, space-separated, e.g.
	// "--constraint=skylake --exclusive".
	Sbatch string `yaml:"sbatch"`
	// PerWorker is how many calls a worker runs at once (default 1).
	PerWorker int `yaml:"per_worker" min:"0"`
	// Policy keeps compute.workers running (keep, default) or scales
	// between Min and Max with the calls waiting (adaptive), cancelling
	// jobs idle for Idle.
	Policy string   `yaml:"policy" accept:"keep|adaptive"`
	Min    int      `yaml:"min" min:"0"`
	Max    int      `yaml:"max" min:"0"`
	Idle   Duration `yaml:"idle"`
	// Listen is the address the driver listens on (default every
	// interface, a free port); Advertise is the host:port workers dial.
	Listen    string `yaml:"listen"`
	Advertise string `yaml:"advertise"`
	// LogDir receives the jobs' output; it must be on a shared file system.
	LogDir string `yaml:"log_dir"`
}

// Pricing is a provider's list prices; zero fields take the defaults in
// DefaultPricing.
type Pricing struct {
	PerGBSecond        float64 `yaml:"per_gb_second"`
	PerVCPUSecond      float64 `yaml:"per_vcpu_second"`
	PerMillionRequests float64 `yaml:"per_million_requests"`
	// Date says when the prices were looked up (free text, e.g. 2026-11).
	Date string `yaml:"date"`
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalYAML writes d as it is read, a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Backends are the compute backends a config can name.
var Backends = []string{"local", "process", "aws", "gcp", "azure", "ibm", "openwhisk", "knative", "slurm"}

// ConfigError is a bad config file or environment override. Its message
// names the file and line (or the environment variable), the key, what was
// wrong and what is accepted.
type ConfigError struct {
	File   string // file name, or "environment"
	Line   int    // 1-based; 0 when unknown
	Key    string // dotted path, e.g. "compute.memory"
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
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
		c := &Config{}
		if err := c.finish(os.LookupEnv); err != nil {
			return nil, err
		}
		return c, nil
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

func parse(name string, data []byte, env func(string) (string, bool)) (*Config, error) {
	c := &Config{Path: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := yamlErrLine(err)
		if line == 0 {
			line = badByteLine(data)
		}
		return nil, &ConfigError{File: name, Line: line, Key: "(syntax)", Reason: yamlErrReason(err)}
	}
	if len(doc.Content) > 0 {
		d := &decoder{file: name}
		if err := d.decode(doc.Content[0], reflect.ValueOf(c).Elem(), ""); err != nil {
			return nil, err
		}
		c.lines = d.lines
	}
	if err := c.finish(env); err != nil {
		return nil, err
	}
	return c, nil
}

// finish applies environment overrides, defaults and cross-field checks.
func (c *Config) finish(env func(string) (string, bool)) error {
	if err := applyEnv(c, env); err != nil {
		return err
	}
	if c.Compute.Backend == "" {
		c.Compute.Backend = "local"
	}
	return c.validate()
}

func (c *Config) fail(key, format string, args ...any) error {
	file := c.Path
	if file == "" {
		file = "(no config file)"
	}
	// A missing key has no line: point at the nearest enclosing key.
	line := 0
	for k := key; k != "" && line == 0; {
		line = c.lines[k]
		i := strings.LastIndex(k, ".")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	if src, ok := c.envSrc[key]; ok {
		file, line = "environment "+src, 0
	}
	return &ConfigError{File: file, Line: line, Key: key, Reason: fmt.Sprintf(format, args...)}
}

func (c *Config) validate() error {
	cp := &c.Compute
	if cp.URL != "" && c.lines["compute.backend"] > 0 {
		return c.fail("compute.url", "give either compute.url or compute.backend, not both")
	}
	caps, err := c.capabilities()
	if err != nil {
		return err
	}
	if caps.Remote && cp.URL == "" && cp.Function == "" && cp.Backend != "slurm" {
		if c.lines["compute.function"] == 0 && c.lines["compute.backend"] > 0 {
			c.lines["compute.function"] = c.lines["compute.backend"]
		}
		return c.fail("compute.function", "required for backend %s: the name of the deployed function (or service)", cp.Backend)
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
	if err := c.noEmbeddedCredentials(); err != nil {
		return err
	}
	if c.AWS.Credentials == "profile" && c.AWS.Profile == "" {
		if c.lines != nil && c.lines["aws.profile"] == 0 {
			c.lines["aws.profile"] = c.lines["aws.credentials"]
		}
		return c.fail("aws.profile", "required when aws.credentials is profile")
	}
	if c.GCP.Credentials == "file" && c.GCP.CredentialsFile == "" {
		return c.fail("gcp.credentials_file", "required when gcp.credentials is file")
	}
	return nil
}

// noEmbeddedCredentials refuses user:password@ in URLs whose backend or
// driver would drop it without a word (they authenticate from a variable or
// the platform's credential chain), so that a user who put a secret there
// learns it is not used — and the secret is not printed with the URL.
func (c *Config) noEmbeddedCredentials() error {
	for _, e := range []struct{ key, url, instead string }{
		{"compute.url", c.Compute.URL, "the backend's *_env parameter names the variable that holds its credential"},
		{"storage", c.Storage, "the object store's credentials come from its SDK's chain (environment, shared files, instance role)"},
		{"aws.endpoint", c.AWS.Endpoint, "credentials come from aws.credentials"},
		{"gcp.endpoint", c.GCP.Endpoint, "credentials come from gcp.credentials"},
		{"azure.endpoint", c.Azure.Endpoint, "the function key comes from the variable named by azure.key_env"},
		{"ibm.endpoint", c.IBM.Endpoint, "the API key comes from the variable named by ibm.api_key_env"},
		{"openwhisk.endpoint", c.OpenWhisk.Endpoint, "the uuid:key comes from the variable named by openwhisk.auth_env"},
		{"knative.endpoint", c.Knative.Endpoint, "a bearer token comes from the variable named by knative.token_env"},
		{"knative.api_server", c.Knative.APIServer, "a bearer token comes from the variable named by knative.api_token_env"},
		{"ibm.api_endpoint", c.IBM.APIEndpoint, "the API key comes from the variable named by ibm.api_key_env"},
		{"azure.management_endpoint", c.Azure.ManagementEndpoint, "credentials come from azidentity's default chain"},
		{"azure.scm_endpoint", c.Azure.SCMEndpoint, "credentials come from azidentity's default chain"},
	} {
		if e.url == "" {
			continue
		}
		u, err := url.Parse(e.url)
		if err != nil || u.User == nil {
			continue
		}
		return c.fail(e.key, "%s carries credentials (user:password@), which would be dropped: %s; remove them from the URL",
			redact.URL(e.url), e.instead)
	}
	return nil
}

// decoder walks a YAML node tree into a struct, strictly: every key must be
// a field, every value the field's type, and each key's line is remembered
// for later messages.
type decoder struct {
	file  string
	lines map[string]int
}

func (d *decoder) errAt(n *yaml.Node, key, format string, args ...any) error {
	return &ConfigError{File: d.file, Line: n.Line, Key: key, Reason: fmt.Sprintf(format, args...)}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	if d.lines == nil {
		d.lines = map[string]int{}
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		d.lines[path] = n.Line
	}
	if v.Kind() == reflect.Struct && v.Type() != reflect.TypeFor[Duration]() {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil // "aws:" with nothing under it
		}
		if n.Kind != yaml.MappingNode {
			return d.errAt(n, orTop(path), "want a mapping of keys (%s), got %s", strings.Join(keysOf(v.Type()), ", "), describe(n))
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			key := kn.Value
			full := join(path, key)
			f, ok := fieldByTag(v.Type(), key)
			if !ok {
				return d.errAt(kn, full, "unknown key (accepted keys%s: %s)", under(path), strings.Join(keysOf(v.Type()), ", "))
			}
			if seen[key] {
				return d.errAt(kn, full, "given twice")
			}
			seen[key] = true
			d.lines[full] = kn.Line
			if err := d.decode(vn, v.FieldByIndex(f.Index), full); err != nil {
				return err
			}
			d.lines[full] = kn.Line
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return d.errAt(n, path, "want %s, got %s", typeWord(v.Type()), describe(n))
	}
	if n.Tag == "!!null" {
		return nil
	}
	f, _ := fieldOf(path, v)
	return setScalar(v, n.Value, n.Tag, f, func(format string, args ...any) error {
		return d.errAt(n, path, format, args...)
	})
}

func orTop(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

func under(path string) string {
	if path == "" {
		return " at the top level"
	}
	return " under " + path
}

// fieldOf recovers the struct field of the value at path (for its accept,
// min and max tags) by walking Config's type.
func fieldOf(path string, _ reflect.Value) (reflect.StructField, bool) {
	t := reflect.TypeFor[Config]()
	var f reflect.StructField
	for _, k := range strings.Split(path, ".") {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return f, false
		}
		var ok bool
		if f, ok = fieldByTag(t, k); !ok {
			return f, false
		}
		t = f.Type
	}
	return f, true
}

func setScalar(v reflect.Value, s, tag string, f reflect.StructField, bad func(string, ...any) error) error {
	if v.Kind() == reflect.Pointer {
		nv := reflect.New(v.Type().Elem())
		if err := setScalar(nv.Elem(), s, tag, f, bad); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	}
	switch {
	case v.Type() == reflect.TypeFor[Duration]():
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return bad("want a Go duration such as 30s, 5m or 1h30m, got %q", s)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		if tag != "" && tag != "!!str" {
			return bad("want a string, got %s %q (quote it)", strings.TrimPrefix(tag, "!!"), s)
		}
		if acc := f.Tag.Get("accept"); acc != "" && !slices.Contains(strings.Split(acc, "|"), s) {
			return bad("%q is not accepted (accepted: %s)", s, strings.ReplaceAll(acc, "|", ", "))
		}
		v.SetString(s)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil || (tag != "" && tag != "!!int") {
			return bad("want a whole number%s, got %q", rangeWord(f), s)
		}
		if lo, err := strconv.Atoi(f.Tag.Get("min")); err == nil && n < lo {
			return bad("want a whole number%s, got %d", rangeWord(f), n)
		}
		if hi, err := strconv.Atoi(f.Tag.Get("max")); err == nil && n > hi {
			return bad("want a whole number%s, got %d", rangeWord(f), n)
		}
		v.SetInt(int64(n))
	case v.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || (tag != "" && tag != "!!int" && tag != "!!float") || x < 0 {
			return bad("want a number ≥ 0, got %q", s)
		}
		v.SetFloat(x)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad("want true or false, got %q", s)
		}
		v.SetBool(b)
	default:
		return bad("unsupported field type %s", v.Type())
	}
	return nil
}

func rangeWord(f reflect.StructField) string {
	lo, hi := f.Tag.Get("min"), f.Tag.Get("max")
	switch {
	case lo != "" && hi != "":
		return " from " + lo + " to " + hi
	case lo != "":
		return " ≥ " + lo
	}
	return ""
}

func typeWord(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[Duration]():
		return "a duration such as 30s"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	}
	return t.String()
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%s %q", strings.TrimPrefix(n.Tag, "!!"), n.Value)
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key && name != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func keysOf(t reflect.Type) []string {
	var ks []string
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" && name != "-" {
			ks = append(ks, name)
		}
	}
	return ks
}

// EnvName is the environment variable that overrides the config key at a
// dotted path: BURST_ + the path in upper case with dots as underscores,
// e.g. compute.memory → BURST_COMPUTE_MEMORY, aws.region → BURST_AWS_REGION.
func EnvName(path string) string {
	return "BURST_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// EnvKeys lists every config key that an environment variable can override,
// as dotted paths, in file order.
func EnvKeys() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for _, k := range keysOf(t) {
			f, _ := fieldByTag(t, k)
			ft := f.Type
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Duration]() {
				walk(ft, join(prefix, k))
				continue
			}
			out = append(out, join(prefix, k))
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return out
}

func applyEnv(c *Config, env func(string) (string, bool)) error {
	for _, path := range EnvKeys() {
		name := EnvName(path)
		s, ok := env(name)
		if !ok || s == "" {
			continue
		}
		f, _ := fieldOf(path, reflect.Value{})
		v := reflect.ValueOf(c).Elem()
		for _, k := range strings.Split(path, ".") {
			sf, _ := fieldByTag(v.Type(), k)
			v = v.FieldByIndex(sf.Index)
		}
		err := setScalar(v, s, "", f, func(format string, args ...any) error {
			return &ConfigError{File: "environment", Key: name + " (" + path + ")", Reason: fmt.Sprintf(format, args...)}
		})
		if err != nil {
			return err
		}
		if c.envSrc == nil {
			c.envSrc = map[string]string{}
		}
		c.envSrc[path] = name
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
