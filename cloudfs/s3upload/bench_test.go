package s3upload_test

// Figure 3 of issue 3 with s3upload: peak RSS growth of Create + a 256 MiB
// streaming write to S3, in a fresh child process:
//
//	go test -run '^$' -bench Figure3 -benchtime 3x ./cloudfs/s3upload/

import (
	"testing"

	"github.com/burst-dev/burst/cloudfs/cloudfstest"
	"github.com/burst-dev/burst/internal/testenv"
)

func BenchmarkFigure3CreateRSS(b *testing.B) {
	b.Run("s3", func(b *testing.B) {
		cloudfstest.BenchCreateRSS(b, testenv.StartS3(b).BucketURL(b, "bench"))
	})
}

// TestRSSChild is the benchmark's child; it skips in a normal test run.
func TestRSSChild(t *testing.T) { cloudfstest.RSSChild(t) }
