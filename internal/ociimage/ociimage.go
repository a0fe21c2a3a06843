// Package ociimage builds an OCI image from a static Go binary and pushes
// it to a registry, without Docker (the way ko does): one layer holding the
// binary (and, on an empty base, the build machine's CA certificates so the
// worker can reach HTTPS stores), a config whose entrypoint is the binary,
// and nothing else. The image is reproducible: the same binary and settings
// give the same digest, so Push skips an upload the registry already holds.
// IBM Code Engine and Knative run burst workers from such an image.
//
//	img, err := ociimage.Build(ociimage.Options{Binary: "worker", GOARCH: "amd64",
//		Env: map[string]string{"BURST_BUILD_ID": id}})
//	ref, pushed, err := ociimage.Push(ctx, "registry.example.com/me/burst-worker:latest", img)
package ociimage

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entrypoint is where the binary is in the image.
const Entrypoint = "/burst-worker"

// DefaultCACerts is the CA bundle added to an image built on the empty
// base, at the same path, where Go's crypto/x509 looks first on Linux.
const DefaultCACerts = "/etc/ssl/certs/ca-certificates.crt"

// BuildIDLabel is the image label holding the binary's build id.
const BuildIDLabel = "dev.burst.build-id"

// Options say what goes in the image.
type Options struct {
	// Binary is the path of a static linux executable (CGO_ENABLED=0).
	Binary string
	// GOARCH is the binary's architecture: amd64 (default) or arm64.
	GOARCH string
	// Base is the image to add the binary to (default: empty, as FROM
	// scratch).
	Base v1.Image
	// CACerts is a CA bundle to add at DefaultCACerts when Base is empty:
	// default DefaultCACerts of the build machine when it exists; "-" adds
	// none.
	CACerts string
	// Env is the image's environment (not for secrets: anyone who can pull
	// the image reads it).
	Env map[string]string
	// Labels are added to the image config; BuildID is also stamped as
	// BuildIDLabel and BURST_BUILD_ID.
	Labels  map[string]string
	BuildID string
}

// epoch is every file's and the image's time stamp: fixed, so the digest
// depends on the content only.
var epoch = time.Unix(0, 0).UTC()

// Build makes the image. Its digest depends only on the binary, the base
// and the options.
func Build(o Options) (v1.Image, error) {
	if o.Binary == "" {
		return nil, errors.New("ociimage: no Binary")
	}
	if o.GOARCH == "" {
		o.GOARCH = "amd64"
	}
	if o.GOARCH != "amd64" && o.GOARCH != "arm64" {
		return nil, fmt.Errorf("ociimage: GOARCH %q: want amd64 or arm64", o.GOARCH)
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("ociimage: %w", err)
	}
	if !bytes.HasPrefix(bin, []byte("\x7fELF")) {
		return nil, fmt.Errorf("ociimage: %s is not a linux (ELF) executable: build it with GOOS=linux CGO_ENABLED=0", o.Binary)
	}
	base := o.Base
	files := []file{{Entrypoint, 0o755, bin}}
	if base == nil {
		base = empty.Image
		if ca := o.CACerts; ca != "-" {
			if ca == "" {
				ca = DefaultCACerts
			}
			data, err := os.ReadFile(ca)
			switch {
			case err == nil:
				files = append(files, file{DefaultCACerts, 0o644, data})
			case o.CACerts != "" || !errors.Is(err, os.ErrNotExist):
				return nil, fmt.Errorf("ociimage: CA certificates: %w", err)
			}
		}
	}
	layerTar, err := tarOf(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("ociimage: layer: %w", err)
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{
		CreatedBy: "burst deploy", Comment: "burst worker " + o.BuildID, Created: v1.Time{Time: epoch}}})
	if err != nil {
		return nil, fmt.Errorf("ociimage: %w", err)
	}
	if o.Base == nil {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("ociimage: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", o.GOARCH
	cf.Created = v1.Time{Time: epoch}
	cfg := &cf.Config
	cfg.Entrypoint = []string{Entrypoint}
	cfg.Cmd = nil
	cfg.WorkingDir = "/"
	if cfg.User == "" {
		cfg.User = "65532" // nobody in distroless: the worker needs no root
	}
	env := maps.Clone(o.Env)
	if env == nil {
		env = map[string]string{}
	}
	if o.BuildID != "" {
		env["BURST_BUILD_ID"] = o.BuildID
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cfg.Env = append(cfg.Env, k+"="+env[k])
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	maps.Copy(cfg.Labels, o.Labels)
	if o.BuildID != "" {
		cfg.Labels[BuildIDLabel] = o.BuildID
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("ociimage: %w", err)
	}
	return img, nil
}

type file struct {
	name string
	mode int64
	data []byte
}

// tarOf writes the files, with their parent directories, time-stamped at
// the epoch and owned by root.
func tarOf(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range files {
		var parents []string
		for d := dirOf(f.name); d != "" && !dirs[d]; d = dirOf(d) {
			parents = append(parents, d)
			dirs[d] = true
		}
		slices.Reverse(parents)
		for _, d := range parents {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name[1:], Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// dirOf is the parent directory of an absolute path, without its leading
// slash ("" at the root).
func dirOf(p string) string {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '/' {
			return p[1:i]
		}
	}
	return ""
}

// Push writes img to ref (registry/repository[:tag]) unless the registry
// already has this digest under that tag, and returns the image's
// digest reference (registry/repository@sha256:…), which is what a
// platform should run so that a new push makes a new revision. Credentials
// come from the Docker config (~/.docker/config.json, $DOCKER_CONFIG) and
// credential helpers, as docker push and ko find them, unless opts give
// others. Loopback registries are reached over plain HTTP.
func Push(ctx context.Context, ref string, img v1.Image, opts ...remote.Option) (digestRef string, pushed bool, err error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", false, fmt.Errorf("ociimage: image %q: %w (want registry/repository[:tag])", ref, err)
	}
	dig, err := img.Digest()
	if err != nil {
		return "", false, fmt.Errorf("ociimage: %w", err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	out := r.Context().Digest(dig.String()).String()
	desc, err := remote.Head(r, opts...)
	var te *transport.Error
	switch {
	case err == nil && desc.Digest == dig:
		return out, false, nil
	case err == nil, errors.As(err, &te) && te.StatusCode == 404:
	default:
		return "", false, fmt.Errorf("ociimage: look up %s: %w", r, err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		return "", false, fmt.Errorf("ociimage: push %s: %w", r, err)
	}
	return out, true, nil
}
