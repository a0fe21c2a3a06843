package ociimage_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/burst-dev/burst/internal/ociimage"
	"github.com/burst-dev/burst/internal/ociimage/ociimagetest"
)

// TestPushedImageHasTheBinaryAndConfig pushes an image to the in-process
// registry, pulls it back and checks its config (entrypoint, env with the
// build id, platform) and its layer (the binary, executable); a second push
// of the same binary uploads nothing.
func TestPushedImageHasTheBinaryAndConfig(t *testing.T) {
	ctx := context.Background()
	cr := ociimagetest.Start(t)
	host := cr.Host
	bin := ociimagetest.FakeELF(t, "the worker binary")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644)
	o := ociimage.Options{Binary: bin, GOARCH: "arm64", BuildID: "b-123", CACerts: ca, Env: map[string]string{"BURST_X": "1"}}
	img, err := ociimage.Build(o)
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/me/burst-worker:latest"
	dref, pushed, err := ociimage.Push(ctx, ref, img)
	if err != nil {
		t.Fatal(err)
	}
	if !pushed || !strings.HasPrefix(dref, host+"/me/burst-worker@sha256:") {
		t.Fatalf("Push = %s, %v; want a digest reference, pushed", dref, pushed)
	}
	first := cr.Uploads()

	pulled, err := remote.Image(mustRef(t, dref), remote.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := pulled.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "arm64" {
		t.Errorf("platform %s/%s, want linux/arm64", cf.OS, cf.Architecture)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{ociimage.Entrypoint}) {
		t.Errorf("entrypoint %q, want [%s]", cf.Config.Entrypoint, ociimage.Entrypoint)
	}
	for _, want := range []string{"BURST_BUILD_ID=b-123", "BURST_X=1"} {
		if !slices.Contains(cf.Config.Env, want) {
			t.Errorf("env %q lacks %s", cf.Config.Env, want)
		}
	}
	if cf.Config.Labels[ociimage.BuildIDLabel] != "b-123" {
		t.Errorf("labels %v lack the build id", cf.Config.Labels)
	}
	layers, err := pulled.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v; want 1", len(layers), err)
	}
	files := untar(t, layers[0])
	want, _ := os.ReadFile(bin)
	if f, ok := files[strings.TrimPrefix(ociimage.Entrypoint, "/")]; !ok || !bytes.Equal(f.data, want) || f.mode&0o111 == 0 {
		t.Errorf("layer's %s: present %v, mode %o, %d bytes; want the binary, executable", ociimage.Entrypoint, ok, f.mode, len(f.data))
	}
	if _, ok := files[strings.TrimPrefix(ociimage.DefaultCACerts, "/")]; !ok {
		t.Errorf("layer lacks the CA bundle: %v", keys(files))
	}

	// Same binary: same digest, nothing uploaded.
	img2, err := ociimage.Build(o)
	if err != nil {
		t.Fatal(err)
	}
	dref2, pushed, err := ociimage.Push(ctx, ref, img2)
	if err != nil {
		t.Fatal(err)
	}
	if pushed || dref2 != dref || cr.Uploads() != first {
		t.Errorf("unchanged binary: pushed %v, %d more uploads, ref %s (was %s); want no upload", pushed, cr.Uploads()-first, dref2, dref)
	}

	// A changed binary is pushed under the same tag with a new digest.
	o.Binary = ociimagetest.FakeELF(t, "a newer worker binary")
	img3, _ := ociimage.Build(o)
	dref3, pushed, err := ociimage.Push(ctx, ref, img3)
	if err != nil || !pushed || dref3 == dref {
		t.Errorf("changed binary: %s, pushed %v, %v; want a new digest, pushed", dref3, pushed, err)
	}
}

func TestBuildRefusesWhatCannotRun(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "script")
	os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755)
	for _, tc := range []struct {
		o    ociimage.Options
		want string
	}{
		{ociimage.Options{}, "no Binary"},
		{ociimage.Options{Binary: notELF}, "not a linux (ELF) executable"},
		{ociimage.Options{Binary: ociimagetest.FakeELF(t, ""), GOARCH: "386"}, `GOARCH "386"`},
		{ociimage.Options{Binary: ociimagetest.FakeELF(t, ""), CACerts: "/nonexistent/ca.pem"}, "CA certificates"},
	} {
		if _, err := ociimage.Build(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build(%+v) = %v, want an error containing %q", tc.o, err, tc.want)
		}
	}
	if _, _, err := ociimage.Push(context.Background(), "Not A Ref", nil); err == nil || !strings.Contains(err.Error(), "registry/repository") {
		t.Errorf("Push(bad ref) = %v", err)
	}
}

type tarFile struct {
	mode int64
	data []byte
}

func untar(t *testing.T, l interface {
	Uncompressed() (io.ReadCloser, error)
}) map[string]tarFile {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]tarFile{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		out[h.Name] = tarFile{h.Mode, data}
	}
}

func keys(m map[string]tarFile) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
