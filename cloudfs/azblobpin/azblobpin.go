// Package azblobpin makes a cloudfs File on Azure Blob Storage read only
// the version of a blob it opened, by the blob's ETag. Import it for its
// side effect, in place of (or beside) gocloud's Azure driver, which it
// registers too:
//
//	import _ "github.com/burst-dev/burst/cloudfs/azblobpin" // azblob:// URLs, reads pinned by ETag
//
// Without it, a File compares the size and modification time of every
// range it fetches after Open with what Open saw; Azure reports times to
// the second, so a replacement of the same size within that second would
// go unnoticed. With it, every such request carries If-Match with Open's
// ETag, and Azure refuses it (412, cloudfs.ErrChanged) once the blob is
// replaced.
//
// It is a separate import for the reason cloudfs/s3upload is: cloudfs is
// linked by every burst program, and the Azure SDK should enter only those
// that use Azure, which link it through gocloud's azureblob anyway.
package azblobpin

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob:// URLs: one import gives both

	"github.com/burst-dev/burst/cloudfs"
)

func init() { cloudfs.RegisterReadCondition(pinETag) }

func pinETag(r *blob.Reader) (cloudfs.ReadCondition, bool) {
	var resp azblobblob.DownloadStreamResponse
	if !r.As(&resp) || resp.ETag == nil || *resp.ETag == "" {
		return nil, false
	}
	etag := *resp.ETag
	return func(as func(any) bool) error {
		var opts *azblobblob.DownloadStreamOptions
		if !as(&opts) {
			return nil
		}
		if opts.AccessConditions == nil {
			opts.AccessConditions = &azblobblob.AccessConditions{}
		}
		if opts.AccessConditions.ModifiedAccessConditions == nil {
			opts.AccessConditions.ModifiedAccessConditions = &azblobblob.ModifiedAccessConditions{}
		}
		opts.AccessConditions.ModifiedAccessConditions.IfMatch = to(etag)
		return nil
	}, true
}

func to(e azcore.ETag) *azcore.ETag { return &e }
