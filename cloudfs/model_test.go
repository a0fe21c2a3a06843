package cloudfs_test

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/cloudfs/cloudfstest"
	"github.com/burst-dev/burst/internal/testenv"
)

// The model-based test compares cloudfs with package os (see
// cloudfstest.RunModel). The default run is short; figure 2 of the issue
// is the full run:
//
//	go test -run TestModel -modelops 10000 -modelseeds 1,2,3 -timeout 2h ./cloudfs/
var (
	modelOps   = flag.Int("modelops", 0, "operations per driver and seed in TestModel* (0: 400, or 150 with -short)")
	modelSeeds = flag.String("modelseeds", "1", "comma-separated seeds for TestModel*")
)

func runModel(t *testing.T, open func(t *testing.T) *cloudfs.FS) {
	ops := *modelOps
	if ops == 0 {
		ops = 400
		if testing.Short() {
			ops = 150
		}
	}
	for _, s := range strings.Split(*modelSeeds, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			t.Fatalf("-modelseeds %q: want comma-separated unsigned integers", *modelSeeds)
		}
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			cloudfstest.RunModel(t, open(t), seed, ops)
		})
	}
}

func TestModelMem(t *testing.T) {
	runModel(t, func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, "mem://") })
}

func TestModelFile(t *testing.T) {
	runModel(t, func(t *testing.T) *cloudfs.FS { return openDir(t, t.TempDir()) })
}

func TestModelS3(t *testing.T) {
	base := testenv.StartS3(t).BucketURL(t, "model")
	runModel(t, func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) })
}

func TestModelGCS(t *testing.T) {
	base := testenv.StartGCS(t).BucketURL(t, "model")
	runModel(t, func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) })
}

func TestModelAzure(t *testing.T) {
	base := testenv.StartAzurite(t).BucketURL(t, "model")
	runModel(t, func(t *testing.T) *cloudfs.FS { return cloudfstest.OpenPrefix(t, base) })
}
