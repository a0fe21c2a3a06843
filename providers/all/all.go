// Package all links every backend and store a burst.yaml can name into a
// program, for programs (and the burst command) that want to switch
// provider by configuration alone:
//
//	import _ "github.com/burst-dev/burst/providers/all"
//
// Like database/sql, package providers only switches between what the
// program linked; a program that needs one backend imports just that
// package (pool/process, pool/aws, …) and compiles no other cloud's SDK.
package all

import (
	// Backends: each registers its pool URL scheme, capabilities and
	// worker mode.
	_ "github.com/burst-dev/burst/pool/aws"
	_ "github.com/burst-dev/burst/pool/azure"
	_ "github.com/burst-dev/burst/pool/gcp"
	_ "github.com/burst-dev/burst/pool/ibm"
	_ "github.com/burst-dev/burst/pool/knative"
	_ "github.com/burst-dev/burst/pool/openwhisk"
	_ "github.com/burst-dev/burst/pool/process"
	_ "github.com/burst-dev/burst/pool/slurm"
	_ "github.com/burst-dev/burst/pool/tcp"

	// Stores: object stores for storage (s3upload gives S3 a streaming
	// writer whose memory is bounded by one part and pins open files' reads
	// by ETag; azblobpin pins Azure's) and Redis for shared state.
	_ "github.com/burst-dev/burst/cloudfs/azblobpin"
	_ "github.com/burst-dev/burst/cloudfs/s3upload"
	_ "github.com/burst-dev/burst/shared/redis"
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)
