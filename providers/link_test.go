package providers

// The tests switch between every backend and store by configuration.
import _ "github.com/burst-dev/burst/providers/all"
