//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
)

// TestMain lets this test binary serve as process:// worker and as a Work
// Queue task, as the study binary does.
func TestMain(m *testing.M) {
	pool.Main()
	if len(os.Args) > 1 && os.Args[1] == wqTaskArg {
		os.Exit(wqTask(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func readResults(t *testing.T, dir string) [][]string {
	t.Helper()
	fh, err := os.Open(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	recs, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != strings.Join(resultsHeader, ",") {
		t.Fatalf("results.csv header %v, want %v", recs[0], resultsHeader)
	}
	return recs[1:]
}

func col(name string) int {
	for i, h := range resultsHeader {
		if h == name {
			return i
		}
	}
	panic(name)
}

// TestExperiment1 runs a small experiment 1 on the real servers: gofakes3
// for objectstore, redis-server for shared, process:// workers.
func TestExperiment1(t *testing.T) {
	wwData := testenv.WWDataDir(t)
	s3 := testenv.StartS3(t)
	rd := testenv.StartRedis(t, testenv.RedisOptions{})
	out := t.TempDir()
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-exp", "1", "-replicas", "4", "-rounds", "3", "-steps", "10", "-repeat", "2",
		"-workers", "2", "-data", wwData, "-out", out, "-quiet",
		"-storage-url", s3.BucketURL(t, "study"), "-shared-url", rd.URL(nil)}, &stdout, &stdout)
	if err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	recs := readResults(t, out)
	if len(recs) != 6 {
		t.Fatalf("%d rows, want 3 storage modes × 2 runs", len(recs))
	}
	for _, r := range recs {
		if r[col("experiment")] != "1" || r[col("replicas")] != "4" || r[col("calls")] != "12" {
			t.Errorf("row %v", r)
		}
		// A loaded machine may back a slow segment up and kill the worker
		// of a loser that runs on past its grace, retrying the calls it
		// had: so retries are counted, not required to be zero.
		if n, err := strconv.Atoi(r[col("retries")]); err != nil || n < 0 {
			t.Errorf("retries = %q in %v", r[col("retries")], r)
		}
		// Same seed, same science, whatever the storage.
		if r[col("mean_acceptance")] != recs[0][col("mean_acceptance")] || r[col("exchanges")] != recs[0][col("exchanges")] {
			t.Errorf("acceptance differs: %v vs %v", r, recs[0])
		}
		for _, c := range []string{"cost_aws_usd", "cost_gcp_usd", "cost_azure_usd", "cost_ibm_usd", "wall_seconds"} {
			if v := r[col(c)]; v == "0" || v == "" {
				t.Errorf("%s = %q in %v", c, v, r)
			}
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Fig. 13", "257.1 ± 14.0", "165.5 ± 9.6", "Figure 1 of issue 12", "projected", "10000", "Where each parameter came from"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	for _, f := range []string{"fig13-storage.svg", "fig13-storage.png", "fig16-cost.svg", "fig16-cost.png", "projection.csv"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestExperiment2 runs a small sweep against the real Work Queue baseline
// and checks that its energies are byte-identical to burst's.
func TestExperiment2(t *testing.T) {
	wwData := testenv.WWDataDir(t)
	testenv.NeedWorkQueue(t)
	out := t.TempDir()
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-exp", "2", "-sizes", "3,4", "-rounds", "2", "-steps", "10",
		"-impl", "payload,workqueue", "-workers", "2", "-data", wwData, "-out", out, "-quiet"}, &stdout, &stdout)
	if err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	recs := readResults(t, out)
	if len(recs) != 4 {
		t.Fatalf("%d rows, want 2 sizes × 2 implementations", len(recs))
	}
	impls := map[string]int{}
	for _, r := range recs {
		impls[r[col("implementation")]]++
	}
	if impls["burst"] != 2 || impls["workqueue"] != 2 {
		t.Fatalf("implementations %v", impls)
	}
	for _, n := range []string{"003", "004"} {
		a, err1 := os.ReadFile(filepath.Join(out, "runs", "payload-"+n+"-run1", "energies.csv"))
		b, err2 := os.ReadFile(filepath.Join(out, "runs", "workqueue-"+n+"-run1", "energies.csv"))
		if err1 != nil || err2 != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s replicas: energies differ between burst and Work Queue (%v, %v)", n, err1, err2)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	for _, want := range []string{"Fig. 14", "Fig. 15", "Table 20", "burst against Work Queue", "byte-identical between burst and Work Queue (figure 3): yes"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	if !strings.Contains(stdout.String(), "scale:") {
		t.Errorf("output does not say how the run was scaled:\n%s", stdout.String())
	}
}

// TestSimulateByHand checks the projection's event simulation against
// timelines worked out by hand.
func TestSimulateByHand(t *testing.T) {
	one := func(int) float64 { return 1 }
	// Concurrency 2, six 1-s calls, 0.1 s latency, 0.5 s cold start: two
	// waves of cold calls' worth of instances, then warm ones:
	// 1.6 + 1.1 + 1.1 = 3.8 s (3 s of work plus 3 latencies and 1 cold start).
	p := platform{Concurrency: 2, Latency: 0.1, ColdStart: 0.5}
	wall, ds, inst := simulate(p, 6, 1, one, 0, 0)
	if math.Abs(wall-3.8) > 1e-9 || len(ds) != 6 || inst != 2 {
		t.Errorf("cap 2: wall %v, %d calls, %d instances; want 3.8 s, 6, 2", wall, len(ds), inst)
	}
	// A second round, after a 0.2 s driver gap, finds both instances warm.
	wall, _, _ = simulate(p, 6, 2, one, 0.2, 0)
	if math.Abs(wall-(3.8+0.2+3.3)) > 1e-9 {
		t.Errorf("two rounds: wall %v, want 7.3", wall)
	}
	// No cap, one new instance a second: call k starts at k s, so the
	// last of six ends at 5 + 0.1 + 1.
	p = platform{Concurrency: 100, Latency: 0.1, ScaleRate: 1, ScaleBurst: 1}
	if wall, _, _ = simulate(p, 6, 1, one, 0, 0); math.Abs(wall-6.1) > 1e-9 {
		t.Errorf("scaling rate 1/s: wall %v, want 6.1", wall)
	}
	// The engine's measured cold start adds to the platform's.
	p = platform{Concurrency: 6}
	if wall, _, _ = simulate(p, 6, 1, one, 0, 0.25); math.Abs(wall-1.25) > 1e-9 {
		t.Errorf("measured cold start: wall %v, want 1.25", wall)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-exp", "3"},
		{"-exp", "1", "-sizes", "12:24:12"},
		{"-exp", "2", "-replicas", "8"},
		{"-exp", "2", "-sizes", "12:6:1"},
		{"-exp", "1", "-impl", "workqueue"},
		{"-exp", "1", "-impl", "redis"},
		{"-exp", "1", "-data", t.TempDir()},
		{"-exp", "1", "-per-worker", "-1"},
		{"-exp", "1", "-per-worker", "0"},
		// An explicit 0 is not the experiment's default.
		{"-exp", "1", "-rounds", "0"},
		{"-exp", "2", "-steps", "0"},
		{"-exp", "1", "-rounds", "-3"},
		{"-exp", "1", "-impl", ""},
		{"-exp", "1", "-cpu", "0"},
		{"-exp", "1", "-cpu", "-1"},
		{"-exp", "1", "-memory", "-5"},
		{"-exp", "2", "-sizes", "12:1000000000:1"},
	} {
		var b bytes.Buffer
		refused := "" // the flag the error names: the last one given
		if len(args) >= 2 {
			refused = args[len(args)-2]
		}
		if !slices.Contains(args, "-data") {
			args = append(args, "-data", testenv.WWDataDir(t))
		}
		_, err := parse(args, &b)
		if err == nil {
			t.Errorf("%v: no error", args)
			continue
		}
		if !strings.Contains(err.Error(), refused) {
			t.Errorf("%v: %q does not name %s", args, err, refused)
		}
	}
	// Two calls per worker in exp 1, where a call's storage round trips
	// are a tenth of a 100-step segment; one in exp 2.
	for exp, want := range map[string]int{"1": 2, "2": 1} {
		var b bytes.Buffer
		o, err := parse([]string{"-exp", exp, "-data", testenv.WWDataDir(t)}, &b)
		if err != nil || o.perWorker != want {
			t.Errorf("-exp %s: per-worker %v, %v; want %d", exp, o, err, want)
		}
	}
	s, err := parseSizes("12:192:12")
	if err != nil || len(s) != 16 || s[15] != 192 {
		t.Errorf("parseSizes = %v, %v", s, err)
	}
}

// A second study on the same -out is refused before it starts anything: it
// would delete the first's run folders and overwrite its results.
func TestSecondStudyOnOneFolderIsRefused(t *testing.T) {
	out := t.TempDir()
	first, err := lockOut(out)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	keep := filepath.Join(out, "results.csv")
	os.WriteFile(keep, []byte("the first study's\n"), 0o644)
	err = run(context.Background(), []string{"-exp", "1", "-replicas", "4", "-rounds", "3", "-steps", "10",
		"-data", testenv.WWDataDir(t), "-out", out, "-quiet"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "is in use") || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("second study: err = %v, want one saying -out is in use, by whom", err)
	}
	if b, _ := os.ReadFile(keep); string(b) != "the first study's\n" {
		t.Errorf("the refused study changed results.csv: %q", b)
	}
	first.Close()
	if l, err := lockOut(out); err != nil {
		t.Errorf("lock after the first study ended: %v", err)
	} else {
		l.Close()
	}
}
