package providers_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/redact/redacttest"
	"github.com/burst-dev/burst/providers"
)

// captureLogs sends slog.Default to a buffer for the test's duration, so a
// library that logs a URL is caught as well as one that returns it.
func captureLogs(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

// TestNoSecretInOpenErrorsOrLogs opens every URL of the redaction table as
// storage, as shared and as compute.url (figure 5 of issue 14): whatever
// fails, neither the error nor any log line carries the secret.
func TestNoSecretInOpenErrorsOrLogs(t *testing.T) {
	noEnv(t)
	for _, c := range redacttest.Cases {
		for _, key := range []string{"storage", "shared", "compute.url"} {
			t.Run(c.Name+"/"+key, func(t *testing.T) {
				logs := captureLogs(t)
				var y string
				switch key {
				case "compute.url":
					y = "compute:\n  url: " + strconv.Quote(c.URL) + "\n"
				default:
					y = key + ": " + strconv.Quote(c.URL) + "\n"
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				var msgs []string
				cfg, err := providers.Parse("burst.yaml", []byte(y))
				if err != nil {
					msgs = append(msgs, err.Error())
				} else {
					env, err := providers.Open(ctx, cfg)
					if err != nil {
						msgs = append(msgs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err.Error()))
					} else {
						env.Close()
					}
				}
				msgs = append(msgs, logs.String())
				for _, m := range msgs {
					for _, s := range c.Secrets {
						if strings.Contains(m, s) {
							t.Errorf("%s %s: secret %q printed: %s", key, c.Name, s, m)
						}
					}
				}
			})
		}
	}
}

// TestEmbeddedCredentialsAreRefused: a user:password@ that the backend or
// store would drop is an error naming the key, and the error hides it.
func TestEmbeddedCredentialsAreRefused(t *testing.T) {
	noEnv(t)
	for _, tc := range []struct{ name, yaml, key string }{
		{"knative endpoint", "compute:\n  backend: knative\n  function: f\nknative:\n  endpoint: https://me:Sknpw@svc.example.com\nstorage: s3://b\nshared: redis://127.0.0.1:9\n", "knative.endpoint"},
		{"ibm endpoint", "compute:\n  backend: ibm\n  function: f\nibm:\n  endpoint: https://me:Sibmpw@app.example.com\nstorage: s3://b\nshared: redis://127.0.0.1:9\n", "ibm.endpoint"},
		{"openwhisk endpoint", "compute:\n  backend: openwhisk\n  function: f\nopenwhisk:\n  endpoint: http://uuid:Sowpw@127.0.0.1:9\nstorage: s3://b\nshared: redis://127.0.0.1:9\n", "openwhisk.endpoint"},
		{"gcp endpoint", "compute:\n  backend: gcp\n  function: f\ngcp:\n  endpoint: https://u:Sgcppw@fn.run.app\nstorage: gs://b\nshared: redis://127.0.0.1:9\n", "gcp.endpoint"},
		{"azure endpoint", "compute:\n  backend: azure\n  function: f\nazure:\n  endpoint: https://u:Sazpw@app.azurewebsites.net\nstorage: azblob://b\nshared: redis://127.0.0.1:9\n", "azure.endpoint"},
		{"compute url", "compute:\n  url: knative://u:Scupw@127.0.0.1:9?tls=false\n", "compute.url"},
		{"storage", "storage: s3://AKIA:Ss3pw@bucket\n", "storage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := providers.Parse("burst.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("Parse accepted credentials that would be dropped")
			}
			if !strings.Contains(err.Error(), tc.key+":") || !strings.Contains(err.Error(), "would be dropped") {
				t.Errorf("error does not name %s and say why: %v", tc.key, err)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error prints the password: %v", err)
			}
		})
	}
	// redis keeps its password: that is where Redis takes it from.
	if _, err := providers.Parse("burst.yaml", []byte("shared: redis://:pw@127.0.0.1:9\n")); err != nil {
		t.Errorf("redis password refused: %v", err)
	}
}
