package remd

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/burst-dev/burst/internal/atomicfile"
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
	// dir holds the files; until commit it is the staging directory inside
	// final, the output directory.
	dir   string
	final string
	files map[string]*os.File
	off   map[string]int64
	sum   map[string]uint32 // CRC-32C of each file's first off[name] bytes
	buf   []byte
}

// stagingDir, inside the output directory, holds a fresh run's files until
// its first checkpoint: only then are the previous run's files set aside.
const stagingDir = ".remd-new"

// previousRun are the files of a run in its output directory that a fresh
// run replaces; each is kept as #name.N# (as GROMACS keeps an overwritten
// file), with one N for the whole set.
var previousRun = []string{checkpointFile, SummaryFile, energiesFile, samplesFile, exchangesFile,
	walksFile, timingFile, "report.svg", "report.png"}

// createOutputs starts a fresh run's files in dir's staging directory; commit
// moves them into dir. A run that fails before its first checkpoint leaves
// dir as it found it.
func createOutputs(dir string, coords int) (*outputs, error) {
	stage := filepath.Join(dir, stagingDir)
	// Left by a run killed before its first checkpoint; the caller holds
	// dir's lock, so no run is writing there.
	if err := os.RemoveAll(stage); err != nil {
		return nil, fmt.Errorf("remd: %w", err)
	}
	if err := os.Mkdir(stage, 0o755); err != nil {
		return nil, fmt.Errorf("remd: output directory: %w", err)
	}
	removeTemps(dir)
	o := &outputs{dir: stage, final: dir, files: map[string]*os.File{}, off: map[string]int64{}, sum: map[string]uint32{}}
	for name, h := range headers(coords) {
		f, err := os.Create(filepath.Join(stage, name))
		if err != nil {
			o.abort()
			return nil, fmt.Errorf("remd: %w", err)
		}
		o.files[name] = f
		if _, err := f.WriteString(h); err != nil {
			o.abort()
			return nil, fmt.Errorf("remd: %w", err)
		}
		o.off[name] = int64(len(h))
		o.sum[name] = crc32.Checksum([]byte(h), castagnoli)
	}
	return o, nil
}

// commit moves a fresh run's files, first checkpoint included, from the
// staging directory into the output directory, after setting the previous
// run's files aside as #name.N#. The checkpoint moves last, so a run killed
// in between leaves a folder that -resume reads as having none, and loses
// nothing. Later calls do nothing.
func (o *outputs) commit(durable bool) error {
	if o == nil || o.final == "" {
		return nil
	}
	dir, stage := o.final, o.dir
	var old []string
	for _, name := range previousRun {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			old = append(old, name)
		}
	}
	if len(old) > 0 {
		n := 1
		for ; ; n++ {
			free := true
			for _, name := range previousRun {
				if _, err := os.Lstat(filepath.Join(dir, backupName(name, n))); err == nil {
					free = false
					break
				}
			}
			if free {
				break
			}
		}
		for _, name := range old {
			if err := os.Rename(filepath.Join(dir, name), filepath.Join(dir, backupName(name, n))); err != nil {
				return fmt.Errorf("remd: keep the previous run's %s: %w", name, err)
			}
		}
	}
	names := make([]string, 0, len(o.files)+1)
	for name := range o.files {
		names = append(names, name)
	}
	for _, name := range append(names, checkpointFile) {
		if err := os.Rename(filepath.Join(stage, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("remd: move the new run's %s into %s: %w", name, dir, err)
		}
	}
	if durable {
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	os.Remove(stage)
	o.dir, o.final = dir, ""
	return nil
}

// backupName is the name GROMACS gives the n-th backup of name.
func backupName(name string, n int) string { return "#" + name + "." + strconv.Itoa(n) + "#" }

// abort closes the files of a run that ends before commit and removes them.
func (o *outputs) abort() {
	o.close()
	if o != nil && o.final != "" {
		os.RemoveAll(o.dir)
	}
}

// reopenOutputs cuts each file back to its checkpointed length: rows of a
// round that was running when the run died are dropped and written again.
// (The checkpoint's check compared what stays with what the run wrote.)
func reopenOutputs(dir string, coords int, offsets map[string]int64) (*outputs, error) {
	removeTemps(dir)
	o := &outputs{dir: dir, files: map[string]*os.File{}, off: map[string]int64{}, sum: map[string]uint32{}}
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
			return nil, fmt.Errorf("remd: resume: %s has %d bytes but the checkpoint recorded %d: it lost bytes after the checkpoint (truncated, or rows deleted); restore it, or start afresh without -resume", path, fi.Size(), want)
		}
		if err := f.Truncate(want); err != nil {
			o.close()
			return nil, fmt.Errorf("remd: resume: %w", err)
		}
		h := crc32.New(castagnoli)
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, want)); err != nil {
			o.close()
			return nil, fmt.Errorf("remd: resume: %w", err)
		}
		o.sum[name] = h.Sum32()
		if _, err := f.Seek(want, 0); err != nil {
			o.close()
			return nil, fmt.Errorf("remd: resume: %w", err)
		}
		o.off[name] = want
	}
	return o, nil
}

// sums returns the CRC-32C of each file as far as it is written, for the
// checkpoint.
func (o *outputs) sums() map[string]uint32 {
	m := make(map[string]uint32, len(o.sum))
	for k, v := range o.sum {
		m[k] = v
	}
	return m
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
		return writeError(filepath.Join(o.dir, name), err)
	}
	o.off[name] += int64(len(b))
	o.sum[name] = crc32.Update(o.sum[name], castagnoli, b)
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
	for name, f := range o.files {
		if err := f.Sync(); err != nil {
			return writeError(filepath.Join(o.dir, name), err)
		}
	}
	return nil
}

// writeError is the error of a write to path: it names the file by its
// present name (an open file keeps the staging name it was created under)
// and says, for a full disk or quota, that nothing checkpointed is lost and
// how to go on. A run's writes fail only before the checkpoint that would
// count them, so the last checkpoint always describes whole files.
func writeError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // its path is a temporary or staging name
	}
	full := errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EDQUOT)
	if dir := filepath.Dir(path); filepath.Base(dir) == stagingDir {
		// A fresh run before its first checkpoint: its files are staged,
		// and abort removes them.
		path = filepath.Join(filepath.Dir(dir), filepath.Base(path))
		if full {
			return fmt.Errorf("remd: write %s: %w (before this run's first checkpoint: the folder is left as it was; make room, then start the run again)", path, err)
		}
	} else if full {
		return fmt.Errorf("remd: write %s: %w (the last checkpoint is intact: make room, then continue the run with -resume)", path, err)
	}
	return fmt.Errorf("remd: write %s: %w", path, err)
}

// tempPrefixes name the temporary files of writeFileAtomic (and of
// remd/report) in an output directory.
var tempPrefixes = []string{atomicfile.TempPrefix(checkpointFile), atomicfile.TempPrefix(SummaryFile),
	atomicfile.TempPrefix("report.svg"), atomicfile.TempPrefix("report.png")}

// removeTemps removes the temporary files that a run killed inside
// writeFileAtomic (between create and rename) left in dir; the caller holds
// dir's lock, so no write of another run is under way.
func removeTemps(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		for _, p := range tempPrefixes {
			if strings.HasPrefix(e.Name(), p) && !e.IsDir() {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}
