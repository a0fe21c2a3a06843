// Package s3upload makes cloudfs's streaming writes to S3 hold exactly one
// part in memory. Import it for its side effect, in place of (or beside)
// gocloud's S3 driver, which it registers too:
//
//	import _ "github.com/burst-dev/burst/cloudfs/s3upload" // s3:// URLs, bounded uploads
//
// Without it, Create on an s3:// file system uses gocloud's s3blob writer,
// whose AWS transfer manager first reads up to its 16 MiB multipart
// threshold with io.ReadAll and then keeps Concurrency+1 part buffers:
// measured, a 256 MiB Create grows the heap by 6.7 times the 8 MiB part
// size. With it, a Writer fills one buffer of Options.PartSize bytes,
// uploads it as a multipart part, and reuses it (1.4 times the part size);
// objects smaller than one part are a single PutObject. A failed or aborted
// upload is aborted on the server, so no parts are left behind. WriteFile
// becomes one PutObject that sends the caller's bytes as they are, where
// s3blob's writer copies them through the transfer manager's buffers and
// hashes them twice with MD5 for a check S3 does not make.
//
// It handles s3:// buckets opened with Options.Concurrency 1 (the default)
// and keys of printable characters; anything else keeps gocloud's writer.
//
// It also gives cloudfs's RemoveFiles S3's own deletes: one DeleteObjects
// per 1000 names (one DeleteObject for a single name), where s3blob sends
// a HEAD and a DELETE per name.
//
// Why this is not built into cloudfs: it needs the AWS SDK's S3 client
// types, and cloudfs is linked by every burst program (pool/spill imports
// it). Linking service/s3 there adds about 9 MB to every binary, also to
// programs that only use mem://, file://, GCS or Azure, which is what
// gocloud's blank-import drivers exist to avoid. A program that uses S3
// already links that SDK through s3blob, so importing this package instead
// costs it almost nothing.
package s3upload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs: one import gives both

	"github.com/burst-dev/burst/cloudfs"
)

// minPartSize is S3's smallest part (all but the last).
const minPartSize = 5 << 20

func init() {
	cloudfs.RegisterUploader(newUpload)
	cloudfs.RegisterDeleter(deleteKeys)
	cloudfs.RegisterReadCondition(pinETag)
}

// pinETag makes the range requests of a cloudfs.File ask for the ETag its
// Open saw (If-Match), so S3 refuses them (412, cloudfs.ErrChanged) once
// the object is replaced, even by one of the same size within the same
// second, which size and modification time cannot tell apart.
func pinETag(r *blob.Reader) (cloudfs.ReadCondition, bool) {
	var out s3.GetObjectOutput
	if !r.As(&out) || aws.ToString(out.ETag) == "" {
		return nil, false
	}
	etag := *out.ETag
	return func(as func(any) bool) error {
		var in *s3.GetObjectInput
		if as(&in) {
			in.IfMatch = aws.String(etag)
		}
		return nil
	}, true
}

var errStop = errors.New("s3upload: stop listing")

func newUpload(ctx context.Context, b *blob.Bucket, key string, opts cloudfs.Options) (io.WriteCloser, bool) {
	if opts.Concurrency > 1 {
		return nil, false
	}
	if !plainKey(key) {
		return nil, false // s3blob escapes these; keep its writer
	}
	c, bucket, ok := client(ctx, b)
	if !ok {
		return nil, false
	}
	return &upload{ctx: ctx, c: c, bucket: bucket, key: key, partSize: max(opts.PartSize, minPartSize)}, true
}

// plainKey reports whether key has only printable characters, which
// s3blob sends as they are.
func plainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] < 32 || key[i] == 127 {
			return false
		}
	}
	return true
}

// client returns the S3 client and bucket name behind b.
func client(ctx context.Context, b *blob.Bucket) (*s3.Client, string, bool) {
	var c *s3.Client
	if !b.As(&c) {
		return nil, "", false
	}
	// blob.Bucket does not expose the bucket name; its list hook shows the
	// request it would send, and stopping there costs no request.
	var bucket string
	_, _, _ = b.ListPage(ctx, blob.FirstPageToken, 1, &blob.ListOptions{
		BeforeList: func(as func(any) bool) error {
			var in *s3.ListObjectsV2Input
			if as(&in) && in.Bucket != nil {
				bucket = *in.Bucket
			}
			return errStop
		},
	})
	return c, bucket, bucket != ""
}

// maxDeleteKeys is the most keys one DeleteObjects takes.
const maxDeleteKeys = 1000

// deleteKeys is cloudfs's Deleter for S3: one DeleteObject for a single
// key, else a DeleteObjects per 1000 keys, where s3blob's Delete sends a
// HEAD and a DELETE per key (the HEAD only to say NotExist, which
// RemoveFiles does not want). S3 deletes a missing key without an error.
func deleteKeys(ctx context.Context, b *blob.Bucket, keys []string) (bool, error) {
	for _, k := range keys {
		if !plainKey(k) {
			return false, nil
		}
	}
	c, bucket, ok := client(ctx, b)
	if !ok {
		return false, nil
	}
	if len(keys) == 1 {
		_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &keys[0]})
		return true, err
	}
	for len(keys) > 0 {
		n := min(len(keys), maxDeleteKeys)
		objs := make([]types.ObjectIdentifier, n)
		for i := range objs {
			objs[i].Key = &keys[i]
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket,
			Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)}})
		if err != nil {
			return true, err
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			err := fmt.Errorf("delete %s: %s: %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
			if len(out.Errors) > 1 {
				err = fmt.Errorf("%w (and %d more keys not deleted)", err, len(out.Errors)-1)
			}
			return true, err
		}
		keys = keys[n:]
	}
	return true, nil
}

type upload struct {
	ctx      context.Context
	c        *s3.Client
	bucket   string
	key      string
	partSize int
	buf      []byte // the one part buffer, made by the first Write
	ctype    string
	id       *string
	parts    []types.CompletedPart
	err      error
}

func (u *upload) Write(p []byte) (int, error) {
	if u.buf == nil && len(p) > 0 {
		u.buf = make([]byte, 0, u.partSize)
	}
	n := 0
	for len(p) > 0 {
		if u.err != nil {
			return n, u.err
		}
		k := copy(u.buf[len(u.buf):cap(u.buf)], p)
		u.buf = u.buf[:len(u.buf)+k]
		p = p[k:]
		n += k
		if len(u.buf) == cap(u.buf) {
			u.err = u.flush()
		}
	}
	return n, u.err
}

func (u *upload) contentType() *string {
	if u.ctype == "" {
		u.ctype = http.DetectContentType(u.buf[:min(len(u.buf), 512)])
	}
	return aws.String(u.ctype)
}

// WriteAll is cloudfs.FS.WriteFile's way in (see cloudfs.Uploader): p as
// the whole object, in one PutObject that reads p itself, if it fits a
// part; else in parts, as Write and Close would.
func (u *upload) WriteAll(p []byte) error {
	if len(p) > u.partSize || u.buf != nil {
		if _, err := u.Write(p); err != nil {
			_ = u.Close()
			return err
		}
		return u.Close()
	}
	if err := u.ctx.Err(); err != nil {
		return err
	}
	_, err := u.c.PutObject(u.ctx, &s3.PutObjectInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), ContentType: aws.String(http.DetectContentType(p[:min(len(p), 512)])),
		Body: bytes.NewReader(p), ContentLength: aws.Int64(int64(len(p))),
	})
	return err
}

// flush uploads the buffer as the next part.
func (u *upload) flush() error {
	if u.id == nil {
		out, err := u.c.CreateMultipartUpload(u.ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(u.bucket), Key: aws.String(u.key), ContentType: u.contentType(),
		})
		if err != nil {
			return err
		}
		u.id = out.UploadId
	}
	num := int32(len(u.parts) + 1)
	out, err := u.c.UploadPart(u.ctx, &s3.UploadPartInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: u.id,
		PartNumber: aws.Int32(num), Body: bytes.NewReader(u.buf), ContentLength: aws.Int64(int64(len(u.buf))),
	})
	if err != nil {
		return err
	}
	u.parts = append(u.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
	u.buf = u.buf[:0]
	return nil
}

// Close completes the object, or aborts the upload if anything failed or
// the context has ended.
func (u *upload) Close() error {
	err := u.err
	if err == nil {
		err = u.ctx.Err()
	}
	if err == nil {
		err = u.complete()
	}
	if err != nil && u.id != nil {
		// A fresh context: the upload's may be what ended.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), 30*time.Second)
		defer cancel()
		if _, aerr := u.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: u.id,
		}); aerr != nil {
			err = errors.Join(err, fmt.Errorf("abort multipart upload: %w", aerr))
		}
	}
	u.buf = nil
	return err
}

func (u *upload) complete() error {
	if u.id == nil {
		_, err := u.c.PutObject(u.ctx, &s3.PutObjectInput{
			Bucket: aws.String(u.bucket), Key: aws.String(u.key), ContentType: u.contentType(),
			Body: bytes.NewReader(u.buf), ContentLength: aws.Int64(int64(len(u.buf))),
		})
		return err
	}
	if len(u.buf) > 0 {
		if err := u.flush(); err != nil {
			return err
		}
	}
	_, err := u.c.CompleteMultipartUpload(u.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: u.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts},
	})
	return err
}
