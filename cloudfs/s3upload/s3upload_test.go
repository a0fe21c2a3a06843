package s3upload_test

import (
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/cloudfs/cloudfstest"
	_ "github.com/burst-dev/burst/cloudfs/s3upload"
	"github.com/burst-dev/burst/internal/testenv"
	_ "gocloud.dev/blob/s3blob"
)

// The whole suite again, with every Create going through s3upload.
func TestConformanceS3Upload(t *testing.T) {
	srv := testenv.StartS3(t)
	base := srv.BucketURL(t, "s3upload")
	cloudfstest.Run(t, cloudfstest.Harness{
		Open: func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) },
	})
}
