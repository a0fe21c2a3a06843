package remd

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// The output files, in the order they are written each round.
const (
	energiesFile  = "energies.csv"
	samplesFile   = "samples.csv"
	exchangesFile = "exchanges.csv"
	walksFile     = "walks.csv"
	timingFile    = "timing.csv"
)

func headers(coords int) map[string]string {
	h := map[string]string{
		energiesFile:  "round,temperature_index,temperature,replica,potential\n",
		exchangesFile: "round,i,j,replica_i,replica_j,probability,accepted\n",
		walksFile:     "round,replica,temperature_index\n",
		timingFile:    "round,wall_seconds,engine_seconds,driver_overhead_us\n",
	}
	if coords > 0 {
		s := "round,temperature_index,temperature,replica,potential"
		for i := range coords {
			s += ",x" + strconv.Itoa(i)
		}
		h[samplesFile] = s + "\n"
	}
	return h
}

// outputs appends one round at a time to the CSV files.
type outputs struct {
	dir   string
	files map[string]*os.File
	off   map[string]int64
	buf   []byte
}

func createOutputs(dir string, coords int) (*outputs, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("remd: output directory: %w", err)
	}
	// A fresh run must not leave a previous run's checkpoint behind, or a
	// later -resume would mix the two.
	if err := os.Remove(filepath.Join(dir, checkpointFile)); err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("remd: %w", err)
	}
	o := &outputs{dir: dir, files: map[string]*os.File{}, off: map[string]int64{}}
	for name, h := range headers(coords) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			o.close()
			return nil, fmt.Errorf("remd: %w", err)
		}
		o.files[name] = f
		if _, err := f.WriteString(h); err != nil {
			o.close()
			return nil, fmt.Errorf("remd: %w", err)
		}
		o.off[name] = int64(len(h))
	}
	if coords == 0 {
		os.Remove(filepath.Join(dir, samplesFile))
	}
	return o, nil
}

// reopenOutputs cuts each file back to its checkpointed length: rows of a
// round that was running when the run died are dropped and written again.
func reopenOutputs(dir string, coords int, offsets map[string]int64) (*outputs, error) {
	o := &outputs{dir: dir, files: map[string]*os.File{}, off: map[string]int64{}}
	for name := range headers(coords) {
		path := filepath.Join(dir, name)
		want, ok := offsets[name]
		if !ok {
			o.close()
			return nil, fmt.Errorf("remd: resume: the checkpoint does not know %s", path)
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			o.close()
			return nil, fmt.Errorf("remd: resume: %w", err)
		}
		o.files[name] = f
		fi, err := f.Stat()
		if err != nil {
			o.close()
			return nil, fmt.Errorf("remd: resume: %w", err)
		}
		if fi.Size() < want {
			o.close()
			return nil, fmt.Errorf("remd: resume: %s has %d bytes but the checkpoint recorded %d: the file was truncated after the checkpoint; start afresh", path, fi.Size(), want)
		}
		if err := f.Truncate(want); err != nil {
			o.close()
			return nil, fmt.Errorf("remd: resume: %w", err)
		}
		if _, err := f.Seek(want, 0); err != nil {
			o.close()
			return nil, fmt.Errorf("remd: resume: %w", err)
		}
		o.off[name] = want
	}
	return o, nil
}

func (o *outputs) offsets() map[string]int64 {
	m := make(map[string]int64, len(o.off))
	for k, v := range o.off {
		m[k] = v
	}
	return m
}

func (o *outputs) close() {
	if o == nil {
		return
	}
	for _, f := range o.files {
		f.Close()
	}
}

func (o *outputs) write(name string, b []byte) error {
	f := o.files[name]
	if f == nil {
		return nil
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("remd: write %s: %w", f.Name(), err)
	}
	o.off[name] += int64(len(b))
	return nil
}

func appendFloat(b []byte, v float64) []byte { return strconv.AppendFloat(b, v, 'g', -1, 64) }

func appendInts(b []byte, vs ...int) []byte {
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return b
}

// round appends one round's rows to every file. With c.Durable it syncs them,
// so that the checkpoint written next never refers to bytes that a machine
// crash could lose.
func (o *outputs) round(c *Config, rr *RoundResult, wall, cpu, overheadUS float64) error {
	b := o.buf[:0]
	for k, rep := range rr.Replica {
		b = appendInts(b, rr.Round, k)
		b = append(b, ',')
		b = appendFloat(b, c.Temperatures[k])
		b = append(b, ',')
		b = appendInts(b, rep)
		b = append(b, ',')
		b = appendFloat(b, rr.Potential[k])
		b = append(b, '\n')
	}
	if err := o.write(energiesFile, b); err != nil {
		return err
	}
	if rr.X != nil {
		b = b[:0]
		for k, rep := range rr.Replica {
			b = appendInts(b, rr.Round, k)
			b = append(b, ',')
			b = appendFloat(b, c.Temperatures[k])
			b = append(b, ',')
			b = appendInts(b, rep)
			b = append(b, ',')
			b = appendFloat(b, rr.Potential[k])
			for _, x := range rr.X[k] {
				b = append(b, ',')
				b = appendFloat(b, x)
			}
			b = append(b, '\n')
		}
		if err := o.write(samplesFile, b); err != nil {
			return err
		}
	}
	b = b[:0]
	for _, x := range rr.Exchanges {
		acc := 0
		if x.Accepted {
			acc = 1
		}
		b = appendInts(b, x.Round, x.I, x.J, x.ReplicaI, x.ReplicaJ)
		b = append(b, ',')
		b = appendFloat(b, x.Probability)
		b = append(b, ',')
		b = appendInts(b, acc)
		b = append(b, '\n')
	}
	if err := o.write(exchangesFile, b); err != nil {
		return err
	}
	b = b[:0]
	tempOf := make([]int, len(rr.Replica))
	for k, rep := range rr.Replica {
		tempOf[rep] = k
	}
	for rep, k := range tempOf {
		b = appendInts(b, rr.Round, rep, k)
		b = append(b, '\n')
	}
	if err := o.write(walksFile, b); err != nil {
		return err
	}
	b = b[:0]
	b = appendInts(b, rr.Round)
	b = append(b, ',')
	b = appendFloat(b, wall)
	b = append(b, ',')
	b = appendFloat(b, cpu)
	b = append(b, ',')
	if overheadUS >= 0 {
		b = strconv.AppendFloat(b, overheadUS, 'f', 1, 64)
	}
	b = append(b, '\n')
	if err := o.write(timingFile, b); err != nil {
		return err
	}
	o.buf = b
	if !c.Durable {
		return nil
	}
	for _, f := range o.files {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("remd: sync %s: %w", f.Name(), err)
		}
	}
	return nil
}
