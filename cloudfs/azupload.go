package cloudfs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"gocloud.dev/blob"
)

// Uploads to Azure avoid gocloud's azureblob writer's pipe. In gocloud
// v0.47 that writer's Close, when it finds a pipe reader, defers closing
// it; the goroutine uploading from the pipe sets the reader to nil when
// the upload fails; so an upload that fails after Close began (the Put
// Blob of a small object, or the Commit Block List of a large one, is
// sent only once Close ends the stream) panics with a nil dereference in
// Close. That was every refused CreateExclusive (the blob exists: remd's
// held lease) and every upload to a container deleted meanwhile, or to an
// emulator killed mid-write. The writer's Upload path (Bucket.Upload)
// never makes that pipe and returns the upload's own error, so Open's
// azblob:// buckets write through it: whole objects from a bytes.Reader,
// streams through the pipe below, whose reader fails the upload when the
// Writer is aborted. A recover could only turn the panic into "the upload
// failed", losing why (that the blob exists, or the container is gone).
// An FS made by New cannot tell an Azure bucket without linking the Azure
// SDK, so there the pipe is used, and putAll and closeWriter turn its
// panic into an error that says the upload failed, naming bucket and file.

// onAzure reports whether uploads must avoid azureblob's pipe.
func (f *FS) onAzure() bool { return f.bucket.scheme == "azblob" }

// sniffLen is how much of an object blob.Writer detects its content type
// from; Bucket.Upload needs the type up front, and gets the same.
const sniffLen = 512

// putAll writes data as the whole file name: on Azure through
// Bucket.Upload (see above), elsewhere Bucket.WriteAll.
func (f *FS) putAll(ctx context.Context, name string, data []byte, opts *blob.WriterOptions) (err error) {
	if f.onAzure() {
		o := *opts
		o.ContentType = http.DetectContentType(data)
		return f.b.Upload(ctx, f.key(name), bytes.NewReader(data), &o)
	}
	defer func() {
		if r := recover(); r != nil {
			err = f.bucket.driverPanicked(name, r)
		}
	}()
	return f.b.WriteAll(ctx, f.key(name), data, opts)
}

// pipedUpload is a Writer's upload on Azure: Bucket.Upload reading from a
// pipe of its own, started once 512 bytes (or Close) give the content
// type. Like an Uploader's writer, its Close discards the upload and
// returns an error if ctx has ended.
type pipedUpload struct {
	ctx  context.Context
	b    *blob.Bucket
	key  string
	opts blob.WriterOptions

	head []byte // written before the upload started
	pw   *io.PipeWriter
	done chan struct{}
	err  error // the upload's, set before done is closed
}

func (u *pipedUpload) Write(p []byte) (int, error) {
	if u.pw == nil {
		if len(u.head)+len(p) < sniffLen {
			u.head = append(u.head, p...)
			return len(p), nil
		}
		u.start(append(u.head[:len(u.head):len(u.head)], p[:min(len(p), sniffLen)]...))
		if err := u.writeHead(); err != nil {
			return 0, err
		}
	}
	return u.pw.Write(p)
}

func (u *pipedUpload) start(sniff []byte) {
	o := u.opts
	o.ContentType = http.DetectContentType(sniff)
	pr, pw := io.Pipe()
	u.pw, u.done = pw, make(chan struct{})
	go func() {
		defer close(u.done)
		u.err = u.b.Upload(u.ctx, u.key, pr, &o)
		// A failed upload stops reading: Write must fail with its error
		// rather than wait for a reader that is gone.
		pr.CloseWithError(u.err)
	}()
}

func (u *pipedUpload) writeHead() error {
	if len(u.head) == 0 {
		return nil
	}
	_, err := u.pw.Write(u.head)
	u.head = nil
	return err
}

func (u *pipedUpload) Close() error {
	if u.pw == nil {
		u.start(u.head)
		_ = u.writeHead() // fails only if the upload did, whose error is returned below
	}
	if err := u.ctx.Err(); err != nil {
		// A read error, unlike EOF, makes the upload commit nothing.
		u.pw.CloseWithError(err)
	} else {
		u.pw.Close()
	}
	<-u.done
	return u.err
}

// driverPanicked is the error of an upload whose driver panicked instead
// of returning its error (azureblob, when cloudfs could not avoid its
// pipe): the upload failed, but the driver's word on why is lost.
func (r bucketRef) driverPanicked(name string, v any) error {
	where := "the bucket"
	if r.name != "" {
		where = fmt.Sprintf("bucket %q", r.name)
		if r.scheme == "azblob" {
			where = fmt.Sprintf("container %q", r.name)
		}
	}
	return fmt.Errorf("the upload of %s to %s failed, and the driver panicked instead of saying why: %v", name, where, v)
}
