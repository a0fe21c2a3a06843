package cloudfs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/cloudfs/cloudfstest"
	"github.com/burst-dev/burst/internal/testenv"

	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)

func TestConformanceMem(t *testing.T) {
	cloudfstest.Run(t, cloudfstest.Harness{
		Open: func(t *testing.T) *cloudfs.FS {
			// A fresh mem:// bucket per test; half of them rooted at a prefix.
			return cloudfstest.OpenPrefix(t, "mem://")
		},
	})
}

var dirSeq atomic.Int64

func TestConformanceFile(t *testing.T) {
	root := t.TempDir()
	cloudfstest.Run(t, cloudfstest.Harness{
		Open: func(t *testing.T) *cloudfs.FS {
			dir := filepath.Join(root, fmt.Sprint(dirSeq.Add(1)))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			fsys, err := cloudfs.Open(context.Background(), "file://"+filepath.ToSlash(dir))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { fsys.Close() })
			return fsys
		},
	})
}

func TestConformanceS3(t *testing.T) {
	srv := testenv.StartS3(t)
	base := srv.BucketURL(t, "conformance")
	cloudfstest.Run(t, cloudfstest.Harness{
		Open: func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) },
	})
}

func TestConformanceGCS(t *testing.T) {
	srv := testenv.StartGCS(t)
	base := srv.BucketURL(t, "conformance")
	cloudfstest.Run(t, cloudfstest.Harness{
		Open: func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) },
	})
}

func TestConformanceAzure(t *testing.T) {
	srv := testenv.StartAzurite(t)
	base := srv.BucketURL(t, "conformance")
	cloudfstest.Run(t, cloudfstest.Harness{
		Open: func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) },
	})
}
