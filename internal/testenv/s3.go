package testenv

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// S3 is an S3-compatible server (gofakes3, in memory) started for a test.
type S3 struct {
	*Process
	// Endpoint is the server's base URL, http://127.0.0.1:port.
	Endpoint string
}

// S3Options change the S3 test server from StartS3's.
type S3Options struct {
	// NoAutobucket makes a request to a bucket that was never created fail
	// with NoSuchBucket, as S3 does; StartS3's server creates any bucket on
	// first use, whatever its name.
	NoAutobucket bool
}

// StartS3 starts gofakes3 with an in-memory backend on a free port of
// 127.0.0.1, skipping the test when it is not installed (failing under CI).
// It also points the AWS SDK away from every non-loopback source of
// configuration for the rest of the test: no EC2 metadata, no shared config
// or credentials files (it uses t.Setenv, so the test must not be
// parallel). The server is killed when the test ends; its data
// does not survive Kill.
func StartS3(tb testing.TB) *S3 {
	tb.Helper()
	return StartS3With(tb, S3Options{})
}

// StartS3With is StartS3 with options.
func StartS3With(tb testing.TB, o S3Options) *S3 {
	tb.Helper()
	bin := NeedTool(tb, "gofakes3")
	port := FreePort(tb)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for k, v := range S3Env() {
		tb.Setenv(k, v)
	}
	args := []string{"-backend", "memory", "-host", addr, "-quiet"}
	if !o.NoAutobucket {
		args = append(args, "-autobucket")
	}
	p := Start(tb, "gofakes3", addr, nil, bin, args...)
	return &S3{Process: p, Endpoint: "http://" + addr}
}

// S3Env is the environment that keeps the AWS SDK off the network except
// for the endpoint in the URL.
func S3Env() map[string]string {
	return map[string]string{
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_REGION":                  "us-east-1",
		"AWS_ACCESS_KEY_ID":           "burst-test",
		"AWS_SECRET_ACCESS_KEY":       "burst-test-secret",
	}
}

// BucketURL creates bucket on the server and returns its gocloud.dev/blob
// URL: path-style requests to the loopback endpoint with static credentials
// and checksums only where S3 requires them, as for MinIO or IBM COS.
func (s *S3) BucketURL(tb testing.TB, bucket string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.Endpoint+"/"+url.PathEscape(bucket), nil)
	if err != nil {
		tb.Fatalf("testenv: create bucket %q: %v", bucket, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("testenv: create bucket %q: %v", bucket, err)
	}
	resp.Body.Close()
	// 409 is "already exists", which is what we want.
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusConflict {
		tb.Fatalf("testenv: create bucket %q on %s: %s", bucket, s.Endpoint, resp.Status)
	}
	q := url.Values{
		"endpoint":                     {s.Endpoint},
		"region":                       {"us-east-1"},
		"use_path_style":               {strconv.FormatBool(true)},
		"request_checksum_calculation": {"when_required"},
		"response_checksum_validation": {"when_required"},
	}
	return "s3://" + bucket + "?" + q.Encode()
}
