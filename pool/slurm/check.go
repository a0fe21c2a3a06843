package slurm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Check tells whether a pool with these options could start here, without
// submitting anything: Slurm's commands are on $PATH and the controller
// answers, the partition exists, the log directory is writable, the listen
// address is free. Each problem is one error in the join, saying what to
// fix. burst check calls it for compute.backend: slurm.
func Check(ctx context.Context, o Options) error {
	var errs []error
	for _, c := range []string{"sbatch", "squeue", "scancel", "sinfo", "srun"} {
		if _, err := exec.LookPath(c); err != nil {
			errs = append(errs, fmt.Errorf("slurm: %s is not on $PATH: run where Slurm's client commands work (a login node)", c))
		}
	}
	if len(errs) == 0 {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "sinfo", "-h", "-o", "%R").CombinedOutput()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("slurm: the controller does not answer sinfo: %v: %s", err, strings.TrimSpace(string(out))))
		case o.Partition != "" && !slices.Contains(strings.Fields(string(out)), o.Partition):
			errs = append(errs, fmt.Errorf("slurm: partition %q is not among this cluster's: %s", o.Partition, strings.Join(strings.Fields(string(out)), ", ")))
		}
	}
	dir := o.LogDir
	if dir == "" {
		dir = "burst-slurm"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		errs = append(errs, fmt.Errorf("slurm: log_dir %s: %w", dir, err))
	} else if f, err := os.CreateTemp(dir, ".check-*"); err != nil {
		errs = append(errs, fmt.Errorf("slurm: log_dir %s is not writable: %w", dir, err))
	} else {
		f.Close()
		os.Remove(f.Name())
	}
	listen := o.Listen
	if listen == "" {
		listen = ":0"
	}
	if ln, err := net.Listen("tcp", listen); err != nil {
		errs = append(errs, fmt.Errorf("slurm: cannot listen on %s for workers to dial: %w", listen, err))
	} else {
		addr, err := advertised(o.Advertise, ln.Addr().String())
		ln.Close()
		if err != nil {
			errs = append(errs, err)
		} else if host, _, _ := net.SplitHostPort(addr); net.ParseIP(host) == nil {
			if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
				errs = append(errs, fmt.Errorf("slurm: workers would dial %s, but %s does not resolve here: set advertise=: %w", addr, host, err))
			}
		}
	}
	return errors.Join(errs...)
}
