package main

import "fmt"

// openFromConfig will open the pool a burst.yaml names, through package
// providers, once that package exists.
func openFromConfig(path string) error {
	return fmt.Errorf("-config %s: reading burst.yaml is not implemented yet (package providers has not landed); use -backend with a pool URL such as local:// or process://?workers=2", path)
}
