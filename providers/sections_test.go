package providers

import (
	"strings"
	"testing"
)

// TestPoolURLFromEachSection: each backend's section of burst.yaml makes
// the pool URL its package parses (the URLs providers built before the
// sections moved into the backends, unchanged), and a section that cannot
// make one says which key is wrong, where.
func TestPoolURLFromEachSection(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	for _, tc := range []struct{ yaml, url, err string }{
		{"compute: {backend: local}\n",
			"local:", ""},
		{"compute: {backend: local, concurrency: 4}\n",
			"local:?limit=4", ""},
		{"compute: {backend: process, workers: 3}\n",
			"process:?workers=3", ""},
		{"compute: {backend: process, workers: 3, concurrency: 6}\n",
			"process:?limit=6&workers=3", ""},
		{"compute: {backend: process, workers: 3}\nprocess: {liveness: 10s}\n",
			"process:?liveness=10s&workers=3", ""},
		{"compute: {backend: process}\nprocess: {liveness: off}\n",
			"process:?liveness=off", ""},
		{"compute: {backend: process}\nprocess: {liveness: 0}\n",
			"process:?liveness=0", ""},
		{"compute: {backend: tcp, workers: 2}\ntcp: {liveness: 30s}\n",
			"tcp:?liveness=30s&workers=2", ""},
		{"compute: {backend: slurm}\nslurm: {liveness: 1m}\nstorage: s3://b\n",
			"slurm://?liveness=1m", ""},
		{"compute: {backend: aws, function: fn, concurrency: 7}\naws: {region: eu-west-1, endpoint: 'http://127.0.0.1:9000', qualifier: live, build_id: abc, credentials: profile, profile: p}\nstorage: s3://b\n",
			"aws://fn?build=abc&concurrency=7&endpoint=http%3A%2F%2F127.0.0.1%3A9000&limit=7&profile=p&qualifier=live&region=eu-west-1", ""},
		{"compute: {backend: gcp, function: fn}\ngcp: {project: p, region: europe-west1, credentials: file, credentials_file: /k.json}\nstorage: s3://b\n",
			"gcp://p/europe-west1/fn?credentials_file=%2Fk.json", ""},
		{"compute: {backend: gcp, function: fn, concurrency: 3}\ngcp: {endpoint: 'https://fn-x.a.run.app'}\nstorage: s3://b\n",
			"gcp:?concurrency=3&limit=3&url=https%3A%2F%2Ffn-x.a.run.app", ""},
		{"compute: {backend: azure, function: fn}\nazure: {app: myapp, key_env: K}\nstorage: s3://b\n",
			"azure://myapp/fn?key_env=K", ""},
		{"compute: {backend: azure, function: fn, concurrency: 2}\nazure: {endpoint: 'http://127.0.0.1:7071/'}\nstorage: s3://b\n",
			"azure:?concurrency=2&limit=2&url=http%3A%2F%2F127.0.0.1%3A7071%2Fapi%2Ffn", ""},
		{"compute: {backend: ibm, function: fn}\nibm: {endpoint: 'https://app.x.eu-de.codeengine.appdomain.cloud', api_key_env: K}\nstorage: s3://b\n",
			"ibm://app.x.eu-de.codeengine.appdomain.cloud?apikey_env=K", ""},
		{"compute: {backend: openwhisk, function: fn, concurrency: 5}\nopenwhisk: {endpoint: 'http://127.0.0.1:3233/api/v1/', namespace: guest, auth_env: A}\nstorage: s3://b\n",
			"openwhisk://127.0.0.1:3233/api/v1/guest/fn?auth_env=A&concurrency=5&limit=5&tls=false", ""},
		{"compute: {backend: openwhisk, function: fn}\nopenwhisk: {endpoint: 'https://ow.example'}\nstorage: s3://b\n",
			"openwhisk://ow.example/_/fn", ""},
		{"compute: {backend: knative, function: fn}\nknative: {endpoint: 'http://127.0.0.1:8080/x/', token_env: T}\nstorage: s3://b\n",
			"knative://127.0.0.1:8080/x?tls=false&token_env=T", ""},
		{"compute: {backend: slurm, workers: 4, concurrency: 8}\nslurm: {nodes: 2, cpus_per_task: 4, mem: 4G, mem_per_cpu: 1G, partition: p, account: a, qos: q, time: '02:00:00', sbatch: '--exclusive --constraint=x', submit: sbatch, per_worker: 2, policy: adaptive, min: 1, max: 9, idle: 90s, listen: ':0', advertise: 'h:1', log_dir: /l}\nstorage: s3://b\n",
			"slurm://?account=a&advertise=h%3A1&cpus_per_task=4&idle=1m30s&limit=8&listen=%3A0&log_dir=%2Fl&max=9&mem=4G&mem_per_cpu=1G&min=1&nodes=2&partition=p&per_worker=2&policy=adaptive&qos=q&sbatch=--exclusive+--constraint%3Dx&submit=sbatch&time=02%3A00%3A00&workers=4", ""},
		{"compute: {backend: slurm}\nstorage: s3://b\n",
			"slurm://?", ""},
		{"compute: {backend: gcp, function: fn}\nstorage: s3://b\n",
			"", `sections.yaml: gcp: give gcp.project and gcp.region (or gcp.endpoint, the function's URL)`},
		{"compute: {backend: azure, function: fn}\nstorage: s3://b\n",
			"", `sections.yaml: azure: give azure.app (the function app's name) or azure.endpoint`},
		{"compute: {backend: knative, function: fn}\nstorage: s3://b\n",
			"", `sections.yaml: knative.endpoint: required for backend knative: the service's URL`},
		{"compute: {backend: ibm, function: fn}\nibm: {endpoint: 'ftp://x'}\nstorage: s3://b\n",
			"", `sections.yaml:2:7: ibm.endpoint: want an http:// or https:// URL, got "ftp://x"`},
	} {
		c, err := parse("sections.yaml", []byte(tc.yaml), noEnv)
		if err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		u, err := c.PoolURL()
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: err = %v, want %s", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil || u != tc.url {
			t.Errorf("%s: PoolURL = %q, %v; want %q", tc.yaml, u, err, tc.url)
		}
	}
	// A bad liveness is refused where the file is read, at its key.
	const bad = "compute: {backend: process}\nprocess: {liveness: soon}\n"
	want := `sections.yaml:2:11: process.liveness: want a Go duration > 0 such as 5s, or off, got "soon"`
	if _, err := parse("sections.yaml", []byte(bad), noEnv); err == nil || err.Error() != want {
		t.Errorf("%s: err = %v, want %s", bad, err, want)
	}
}

// TestConfigErrorsAreStable: a file with several bad keys gives every one,
// in file order, with line, column and key, and the same text every time.
func TestConfigErrorsAreStable(t *testing.T) {
	const bad = "compute:\n  memory: lots\n  timeout: 30\n  backnd: aws\naws: {regoin: x, region: [a]}\nslurm:\n  idle: soon\n  nodes: -1\nstorag: mem://\n"
	noEnv := func(string) (string, bool) { return "", false }
	_, err := parse("burst.yaml", []byte(bad), noEnv)
	if err == nil {
		t.Fatal("parse succeeded")
	}
	first := err.Error()
	for _, want := range []string{
		`burst.yaml:2:11: compute.memory: want a whole number from 128 to 32768, got str "lots"`,
		`burst.yaml:3:12: compute.timeout: want a Go duration such as 30s, 5m or 1h30m, got int "30"`,
		`burst.yaml:4:3: compute.backnd: unknown key (accepted keys under compute: backend, url,`,
		`burst.yaml:5:7: aws.regoin: unknown key (accepted keys under aws: region, credentials,`,
		`burst.yaml:5:26: aws.region: want a string, got a list`,
		`burst.yaml:7:9: slurm.idle: want a Go duration such as 30s, 5m or 1h30m, got str "soon"`,
		`burst.yaml:9:1: storag: unknown key (accepted keys at the top level: compute, storage, shared, and the section of a backend linked into this program: local, process, aws,`,
	} {
		if !strings.Contains(first, want) {
			t.Errorf("errors:\n%s\nwant a line starting %s", first, want)
		}
	}
	lines := strings.Split(first, "\n")
	if len(lines) != 7 {
		t.Errorf("got %d errors, want 7:\n%s", len(lines), first)
	}
	for range 50 {
		if _, err := parse("burst.yaml", []byte(bad), noEnv); err == nil || err.Error() != first {
			t.Fatalf("same file, another error:\n%v\nfirst:\n%s", err, first)
		}
	}
	// Checks after decoding (ranges, a backend's own) run in key order too.
	const bad2 = "compute: {backend: slurm, workers: 0}\nslurm: {nodes: -1}\nstorage: s3://b\n"
	_, err = parse("burst.yaml", []byte(bad2), noEnv)
	for range 50 {
		if _, err2 := parse("burst.yaml", []byte(bad2), noEnv); err == nil || err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("same file, another error: %v, first %v", err2, err)
		}
	}
	if err == nil || !strings.Contains(err.Error(), "burst.yaml:1:27: compute.workers: want a whole number ≥ 1, got 0") {
		t.Errorf("err = %v, want compute.workers at 1:27", err)
	}
}
