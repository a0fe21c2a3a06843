// Command burstvet reports what breaks when a program's registered pool
// functions run in other processes, and what an errgroup program must
// change to port to burst; see package pool/burstvet for the reports.
//
//	go run github.com/burst-dev/burst/cmd/burstvet ./...
//	go build -o burstvet github.com/burst-dev/burst/cmd/burstvet && go vet -vettool=./burstvet ./...
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/burst-dev/burst/pool/burstvet"
)

func main() { singlechecker.Main(burstvet.Analyzer) }
