package cloudfs

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// bucketRef names the bucket an FS was opened on (Open's URL host), so that
// an error about the bucket itself says which bucket, and what names the
// store takes, instead of reporting the file asked for as missing: a
// request to a bucket that does not exist fails with the same NotFound as
// one for a missing key, and the driver's error (NoSuchBucket) was dropped
// for the bare fs.ErrNotExist. The zero value (New's) names no bucket.
type bucketRef struct {
	scheme, name string
}

// pathError is the package's pathError, but an error about the bucket
// becomes a *bucketError.
func (r bucketRef) pathError(op, name string, err error) error {
	kind, code := bucketProblem(err)
	if _, valid := bucketNameRule(r.scheme, r.name); kind == nil && !valid && r.scheme == "azblob" &&
		strings.Contains(err.Error(), "InvalidResourceName") {
		// Azure's word for any name it refuses, a blob's too; a blob name
		// cloudfs sends is a valid fs path, which Azure takes, so with a
		// container name outside the rules it is the container's.
		kind, code = fs.ErrInvalid, "InvalidResourceName"
	}
	if kind != nil {
		return &fs.PathError{Op: op, Path: name, Err: &bucketError{scheme: r.scheme, bucket: r.name, kind: kind, code: code, err: err}}
	}
	return pathError(op, name, err)
}

// bucketError is the error of a call that failed because of the bucket,
// not the file: it does not exist (kind fs.ErrNotExist) or the store
// refuses its name (fs.ErrInvalid). It sits in the *fs.PathError of the
// call, so errors.Is(err, fs.ErrNotExist) holds for a missing bucket as it
// does for a file in a missing directory of os, and gcerrors.Code and
// FS.ErrorAs still see the driver's error.
type bucketError struct {
	scheme, bucket string // from Open's URL; empty for an FS made by New
	kind           error  // fs.ErrNotExist or fs.ErrInvalid
	code           string // the service's word for it, e.g. NoSuchBucket
	err            error
}

func (e *bucketError) Error() string {
	what := "bucket"
	if e.scheme == "azblob" {
		what = "container"
	}
	name := what
	if e.bucket != "" {
		name = fmt.Sprintf("%s %q", what, e.bucket)
	}
	rule, valid := bucketNameRule(e.scheme, e.bucket)
	switch {
	case e.kind == fs.ErrInvalid && rule != "":
		return fmt.Sprintf("the store refuses the %s name %q (%s): %s", what, e.bucket, e.code, rule)
	case e.kind == fs.ErrInvalid:
		return fmt.Sprintf("the store refuses the %s name (%s)", what, e.code)
	case !valid:
		return fmt.Sprintf("%s does not exist (%s), and is not a valid name: %s", name, e.code, rule)
	}
	return fmt.Sprintf("%s does not exist (%s): create it, or name an existing one in the URL", name, e.code)
}

func (e *bucketError) Unwrap() []error { return []error{e.kind, e.err} }

// bucketProblem returns fs.ErrNotExist if err says the bucket does not
// exist, fs.ErrInvalid if it says the bucket's name is not valid, else nil,
// and the service's word for it. It reads the service's error code (S3, and
// IBM COS and MinIO alike, through the SDK's ErrorCode method; Azure's in
// its text) and GCS's messages, so no cloud SDK is linked for it.
func bucketProblem(err error) (kind error, code string) {
	if err == nil {
		return nil, ""
	}
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		switch c := coded.ErrorCode(); c {
		case "NoSuchBucket":
			return fs.ErrNotExist, c
		case "InvalidBucketName":
			return fs.ErrInvalid, c
		}
	}
	s := strings.ToLower(err.Error())
	switch {
	case strings.Contains(s, "containernotfound"):
		return fs.ErrNotExist, "ContainerNotFound" // Azure
	case strings.Contains(s, "bucket doesn't exist"), // GCS client
		strings.Contains(s, "bucket does not exist"): // GCS service
		return fs.ErrNotExist, "bucket does not exist"
	case strings.Contains(s, "invalidbucketname"):
		return fs.ErrInvalid, "InvalidBucketName"
	case strings.Contains(s, "invalid bucket name"):
		return fs.ErrInvalid, "invalid bucket name"
	}
	return nil, ""
}

// bucketNameRule is what scheme's store takes as a bucket name, and whether
// name follows it. The rules are today's for new buckets; an older S3
// bucket may have a name outside them, so they only explain an error, and
// Open refuses no name.
func bucketNameRule(scheme, name string) (rule string, ok bool) {
	lowerDigit := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	only := func(extra string) bool {
		for i := 0; i < len(name); i++ {
			if !lowerDigit(name[i]) && !strings.ContainsRune(extra, rune(name[i])) {
				return false
			}
		}
		return true
	}
	ends := len(name) > 0 && lowerDigit(name[0]) && lowerDigit(name[len(name)-1])
	n := len(name)
	switch scheme {
	case "s3":
		return "S3 bucket names are 3 to 63 characters of lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit",
			n >= 3 && n <= 63 && only(".-") && ends && !strings.Contains(name, "..")
	case "gs":
		return "GCS bucket names are 3 to 63 characters (222 with dots) of lowercase letters, digits, hyphens, underscores and dots, beginning and ending with a letter or digit",
			n >= 3 && n <= 222 && only("-_.") && ends
	case "azblob":
		return "Azure container names are 3 to 63 characters of lowercase letters, digits and single hyphens, beginning and ending with a letter or digit",
			n >= 3 && n <= 63 && only("-") && ends && !strings.Contains(name, "--")
	}
	return "", true
}
