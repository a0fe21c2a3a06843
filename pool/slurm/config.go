package slurm

import (
	"time"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/process"
)

// Section is the slurm section of burst.yaml (see docs/providers/slurm.md):
// workers as the steps of Slurm jobs that dial back to the driver.
// Resources map to the sbatch options of the same names; compute.workers is
// the number of workers.
type Section struct {
	Nodes       int    `yaml:"nodes"`
	CPUsPerTask int    `yaml:"cpus_per_task"`
	Mem         string `yaml:"mem"`
	MemPerCPU   string `yaml:"mem_per_cpu"`
	Partition   string `yaml:"partition"`
	Account     string `yaml:"account"`
	QOS         string `yaml:"qos"`
	// Time is the jobs' time limit, as sbatch --time takes it (02:00:00).
	Time string `yaml:"time"`
	// Sbatch are more sbatch options, space-separated, e.g.
	// "--constraint=skylake --exclusive".
	Sbatch string `yaml:"sbatch"`
	// Submit is how jobs start: auto (default: an allocation that starts
	// now, salloc --immediate, else a queued batch job) or sbatch (always
	// a queued batch job).
	Submit string `yaml:"submit"`
	// PerWorker is how many calls a worker runs at once (default 1).
	PerWorker int `yaml:"per_worker"`
	// Policy keeps compute.workers running (keep, default) or scales
	// between Min and Max with the calls waiting (adaptive), cancelling
	// jobs idle for Idle.
	Policy string        `yaml:"policy"`
	Min    int           `yaml:"min"`
	Max    int           `yaml:"max"`
	Idle   time.Duration `yaml:"idle"`
	// Listen is the address the driver listens on (default every
	// interface, a free port); Advertise is the host:port workers dial.
	Listen    string `yaml:"listen"`
	Advertise string `yaml:"advertise"`
	// LogDir receives the jobs' output; it must be on a shared file system.
	LogDir string `yaml:"log_dir"`
	// Liveness is Options.Liveness: a Go duration such as 5s, or off.
	Liveness string `yaml:"liveness"`
}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
	driver.RegisterDeployer(Scheme, driver.NothingToDeploy)
}

// Validate checks counts and the policy.
func (s *Section) Validate(driver.Compute) error {
	for _, kv := range []struct {
		key string
		n   int
	}{{"slurm.nodes", s.Nodes}, {"slurm.cpus_per_task", s.CPUsPerTask}, {"slurm.per_worker", s.PerWorker}, {"slurm.min", s.Min}, {"slurm.max", s.Max}} {
		if err := driver.AtLeast(kv.key, kv.n, 0); err != nil {
			return err
		}
	}
	if s.Idle < 0 {
		return driver.Keyf("slurm.idle", "want a Go duration ≥ 0 such as 60s, got %s", s.Idle)
	}
	if err := driver.Accept("slurm.submit", s.Submit, SubmitAuto, SubmitSbatch); err != nil {
		return err
	}
	if err := process.ValidateLiveness("slurm.liveness", s.Liveness); err != nil {
		return err
	}
	return driver.Accept("slurm.policy", s.Policy, Keep, Adaptive)
}

// PoolURL is slurm://?… with the section's sbatch options and policy.
func (s *Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	driver.SetInt(q, "workers", c.Workers)
	driver.SetInt(q, "nodes", s.Nodes)
	driver.SetInt(q, "cpus_per_task", s.CPUsPerTask)
	driver.SetInt(q, "per_worker", s.PerWorker)
	driver.SetInt(q, "min", s.Min)
	driver.SetInt(q, "max", s.Max)
	driver.SetStrings(q, map[string]string{"mem": s.Mem, "mem_per_cpu": s.MemPerCPU, "partition": s.Partition,
		"account": s.Account, "qos": s.QOS, "time": s.Time, "policy": s.Policy, "listen": s.Listen,
		"advertise": s.Advertise, "log_dir": s.LogDir, "sbatch": s.Sbatch, "submit": s.Submit, "liveness": s.Liveness})
	if s.Idle > 0 {
		q.Set("idle", s.Idle.String())
	}
	// url.URL would write "slurm:?…" for an empty host.
	return Scheme + "://?" + q.Encode(), nil
}
