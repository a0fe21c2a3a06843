//go:build linux

package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
)

// The study's published numbers (experiment 1 means and Table 20), and its
// per-size rows of experiment 2 read from thesis-runs/*.csv beside -data.

// studyExp1 are its mean and sd of the total time per storage mode, s,
// 72 replicas, 50 rounds × 100 steps on IBM Cloud Functions (2 GB).
var studyExp1 = map[string][2]float64{
	"objectstore": {257.1, 14.0},
	"payload":     {165.5, 9.6},
	"shared":      {165.9, 5.6},
}

// studyTable20 is its cost of the whole sweep of experiment 2 on IBM, USD,
// with hours of execution and mean function time, s.
var studyTable20 = map[string]struct{ USD, Hours, MeanFn float64 }{
	"workqueue":   {196.57, 42.19, 0},
	"objectstore": {218.94, 26.55, 38},
	"payload":     {175.73, 18.64, 31},
	"shared":      {173.38, 18.21, 30},
}

// studyRow is one replica count of the study's experiment 2.
type studyRow struct {
	Replicas   int
	MDStepAvg  float64 // its mean segment ("MD step") time, s
	Total      float64 // total runtime, s
	Acceptance float64 // %
}

// studyExp2 reads the study's object-store and Redis runs, keyed
// "objectstore" and "shared"; missing files give no rows.
func studyExp2(dataDir string) map[string][]studyRow {
	dir := filepath.Join(filepath.Dir(dataDir), "thesis-runs")
	out := map[string][]studyRow{}
	for key, file := range map[string]string{
		"objectstore": "COS-Prototype_cos_prototype.csv",
		"shared":      "Redis-Prototype_with_redis_output.csv",
	} {
		fh, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			continue
		}
		recs, err := csv.NewReader(fh).ReadAll()
		fh.Close()
		if err != nil {
			continue
		}
		for _, r := range recs[1:] {
			if len(r) < 6 {
				continue
			}
			n, _ := strconv.Atoi(r[0])
			avg, _ := strconv.ParseFloat(r[1], 64)
			tot, _ := strconv.ParseFloat(r[2], 64)
			acc, _ := strconv.ParseFloat(r[5], 64)
			out[key] = append(out[key], studyRow{n, avg, tot, acc})
		}
	}
	return out
}
