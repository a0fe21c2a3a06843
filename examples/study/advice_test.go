//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
)

// A run the study cannot finish, whose remd error advises -resume (here a
// stored state the store hands back damaged), ends with advice the study
// can follow: it has no -resume, so it says to run the study again, with
// the flags given. It passed remd's "-resume" on as the way out.
func TestStoppedRunAdvisesTheStudyCommand(t *testing.T) {
	wwData := testenv.WWDataDir(t)
	s3 := testenv.StartS3(t)
	base := s3.BucketURL(t, "study")
	target, _ := url.Parse(s3.Endpoint)
	// Every stored state comes back with a byte flipped, as from a store
	// that damaged it.
	state := regexp.MustCompile(`/replica-\d+\.json$`)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodGet || resp.StatusCode != http.StatusOK || !state.MatchString(resp.Request.URL.Path) {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if len(b) > 0 {
			b[len(b)/2] ^= 0x10
		}
		for k := range resp.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum") {
				resp.Header.Del(k)
			}
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	proxy := httptest.NewServer(rp)
	defer proxy.Close()
	storage := strings.Replace(base, url.QueryEscape(s3.Endpoint), url.QueryEscape(proxy.URL), 1)

	args := []string{"-exp", "1", "-impl", "objectstore", "-replicas", "4", "-rounds", "3", "-steps", "10", "-repeat", "1",
		"-workers", "2", "-data", wwData, "-out", t.TempDir(), "-quiet", "-storage-url", storage}
	err := run(context.Background(), args, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("the study succeeded on a store that damages every state")
	}
	msg := err.Error()
	t.Logf("study: %v", err)
	if !strings.Contains(msg, "damaged") {
		t.Fatalf("err = %v, want remd's damaged-state error", err)
	}
	for _, want := range []string{"the study has no -resume", "run the study again", "-exp 1 -impl objectstore -replicas 4"} {
		if !strings.Contains(msg, want) {
			t.Errorf("err = %v\nwant it to say %q", err, want)
		}
	}
}

// noResume leaves an error without -resume advice as it is, and says which
// rows a rerun would rewrite.
func TestNoResume(t *testing.T) {
	o := &options{out: "study-exp1"}
	plain := errors.New("remd: write x: permission denied")
	if got := o.noResume(plain, nil, 2); got != plain {
		t.Errorf("noResume(error without -resume) = %v, want it unchanged", got)
	}
	advised := errors.New("remd: write x: no space left on device (the last checkpoint is intact: make room, then continue the run with -resume)")
	got := o.noResume(advised, []string{"-exp", "1", "-storage-url", "s3://b?x=1&y=2", "-out", "it's here"}, 2)
	for _, want := range []string{"the study has no -resume", "copy that first to keep the rows of the 2 runs that finished",
		`go run ./examples/study -exp 1 -storage-url 's3://b?x=1&y=2' -out 'it'\''s here'`} {
		if !strings.Contains(got.Error(), want) {
			t.Errorf("noResume = %v\nwant it to say %q", got, want)
		}
	}
	if !errors.Is(got, advised) {
		t.Errorf("noResume = %v, want it to wrap remd's error", got)
	}
}
