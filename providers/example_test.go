package providers_test

import (
	"fmt"
	"log"

	"github.com/burst-dev/burst/providers"
)

// A config names the cloud; the pool URL, storage and shared state follow
// from it, and the same program runs on any of them.
func ExampleParse() {
	cfg, err := providers.Parse("burst.yaml", []byte(`
compute:
  backend: aws
  function: burst-remd
  memory: 2048
  concurrency: 100
storage: s3://my-bucket?region=eu-west-1
shared: redis://10.0.0.5:6379/0
aws:
  region: eu-west-1
`))
	if err != nil {
		log.Fatal(err)
	}
	u, _ := cfg.PoolURL()
	fmt.Println(u)
	_, err = providers.Parse("burst.yaml", []byte("compute:\n  memroy: 2048\n"))
	fmt.Println(err)
	// Output:
	// aws://burst-remd?concurrency=100&limit=100&region=eu-west-1
	// burst.yaml:2:3: compute.memroy: unknown key (accepted keys under compute: backend, url, function, memory, cpu, timeout, concurrency, retries, workers, codec)
}
