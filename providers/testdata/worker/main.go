// Command worker is the program the deploy tests build and upload. It
// imports only the pool core, to keep the cross-compilation quick; a real
// function also imports pool/aws (providers does) for the Lambda runtime.
package main

import (
	"context"
	"fmt"

	"github.com/burst-dev/burst/pool"
)

var version = "1" // the tests change it with -ldflags=-X main.version=… to make a new build

var hello = pool.Register("hello", func(ctx context.Context, name string) (string, error) {
	return "hello, " + name + " from " + version, nil
})

func main() {
	pool.Main()
	fmt.Println("run me as a Lambda function")
}
