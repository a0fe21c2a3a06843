package providers

import (
	"reflect"
	"strings"
	"testing"
)

// TestURLAndBackendSpellingsAgree: a backend named by compute.backend and
// the same backend given as compute.url (the URL the first spelling
// resolves to) get the same pool settings: retries, payload store and
// threshold, and the same validation of storage and shared state.
func TestURLAndBackendSpellingsAgree(t *testing.T) {
	const stores = "storage: s3://bucket/prefix\nshared: redis://localhost:6379\n"
	for _, tc := range []struct{ backend, yaml string }{
		{"local", "compute: {backend: local}\n"},
		{"process", "compute: {backend: process, workers: 2}\n"},
		{"aws", "compute: {backend: aws, function: fn}\naws: {region: eu-west-1}\n" + stores},
		{"gcp", "compute: {backend: gcp, function: fn}\ngcp: {project: p, region: europe-west1}\n" + stores},
		{"azure", "compute: {backend: azure, function: fn}\nazure: {app: myapp}\n" + stores},
		{"ibm", "compute: {backend: ibm, function: fn}\nibm: {endpoint: https://app.x.eu-de.codeengine.appdomain.cloud}\n" + stores},
		{"openwhisk", "compute: {backend: openwhisk, function: fn}\nopenwhisk: {endpoint: https://ow.example}\n" + stores},
		{"knative", "compute: {backend: knative, function: fn}\nknative: {endpoint: https://fn.default.example}\n" + stores},
		{"slurm", "compute: {backend: slurm}\n" + stores},
		{"tcp", "compute: {backend: tcp, workers: 2}\ntcp: {listen: '127.0.0.1:0'}\n" + stores},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			noEnv := func(string) (string, bool) { return "", false }
			byName, err := parse("byname.yaml", []byte(tc.yaml), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			u, err := byName.PoolURL()
			if err != nil {
				t.Fatal(err)
			}
			var rest []string
			for _, l := range strings.Split(tc.yaml, "\n") {
				if !strings.HasPrefix(l, "compute:") {
					rest = append(rest, l)
				}
			}
			byURL, err := parse("byurl.yaml", []byte("compute: {url: '"+u+"'}\n"+strings.Join(rest, "\n")), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			a, err := byName.poolSettings()
			if err != nil {
				t.Fatal(err)
			}
			b, err := byURL.poolSettings()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("compute.backend: %s gives %+v, compute.url: %s gives %+v", tc.backend, a, u, b)
			}
			if byName.remote() != byURL.remote() {
				t.Errorf("remote: by name %v, by URL %v", byName.remote(), byURL.remote())
			}
			if !byName.remote() {
				return
			}
			// Platforms throttle bursts; tcp's workers are the user's own
			// machines, which do not, and keep the pool's default.
			if tc.backend != "tcp" && (a.Retries == nil || *a.Retries <= 3) {
				t.Errorf("a remote backend keeps the pool's default retries: %+v", a)
			}
			// mem:// cannot be reached by remote workers, whichever spelling
			// names the backend.
			for _, key := range []string{"storage", "shared"} {
				y := "compute: {url: '" + u + "'}\n" + strings.Replace(strings.Join(rest, "\n"), key+": ", key+": mem:// #", 1)
				_, err := parse("mem.yaml", []byte(y), noEnv)
				if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "mem://") {
					t.Errorf("compute.url %s with %s mem://: err = %v, want it refused", u, key, err)
				}
			}
		})
	}
}

// TestUnlinkedBackendNamesTheImport: a config naming a backend the program
// did not link fails at load with the import line to add.
func TestUnlinkedBackendNamesTheImport(t *testing.T) {
	_, err := parse("x.yaml", []byte("compute: {url: 'nosuch://fn'}\n"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), `_ "github.com/burst-dev/burst/pool/nosuch"`) || !strings.Contains(err.Error(), "providers/all") {
		t.Fatalf("err = %v, want the import line to add", err)
	}
}
