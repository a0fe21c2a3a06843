package driver_test

import (
	"fmt"
	"net/url"

	"github.com/burst-dev/burst/pool/driver"
)

// queueSection is a backend's part of burst.yaml: its keys are the yaml tags.
type queueSection struct {
	Host      string `yaml:"host"`
	PerWorker int    `yaml:"per_worker"`
}

// Validate runs when the file is loaded; a *driver.KeyError gets the key's
// file:line:col from the config reader.
func (s *queueSection) Validate(c driver.Compute) error {
	if c.Backend == "queue" && s.Host == "" {
		return driver.Keyf("queue.host", "required for backend queue: the broker's host:port")
	}
	return driver.AtLeast("queue.per_worker", s.PerWorker, 0)
}

// PoolURL turns the section and compute settings into the backend's URL.
func (s *queueSection) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	driver.SetInt(q, "per_worker", s.PerWorker)
	return (&url.URL{Scheme: "queue", Host: s.Host, Path: "/" + c.Function, RawQuery: q.Encode()}).String(), nil
}

func ExampleRegisterSection() {
	// In the backend package's init, beside RegisterBackend:
	driver.RegisterSection("queue", func() driver.Section { return new(queueSection) })

	// The config reader decodes "queue: {host: …, per_worker: 2}" into a
	// new section, validates it and asks it for the pool URL.
	s, _ := driver.NewSection("queue")
	qs := s.(*queueSection)
	qs.Host, qs.PerWorker = "broker:5672", 2
	c := driver.Compute{Backend: "queue", Function: "remd", Concurrency: 8}
	if v, ok := s.(driver.Validator); ok {
		fmt.Println(v.Validate(c))
	}
	fmt.Println(s.PoolURL(c))
	// Output:
	// <nil>
	// queue://broker:5672/remd?limit=8&per_worker=2 <nil>
}
