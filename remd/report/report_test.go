package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteDrawsTheFigure(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"summary.json":  `{"system":"doublewell","temperatures":[0.5,1,2],"acceptance":[0.6,0.4],"attempts":[2,1],"rounds":3,"round_trips":0}`,
		"energies.csv":  "round,temperature_index,temperature,replica,potential\n0,0,0.5,0,-0.4\n0,1,1,1,0.1\n0,2,2,2,1.5\n1,0,0.5,1,-0.3\n1,1,1,0,0.2\n1,2,2,2,1.1\n2,0,0.5,1,-0.45\n2,1,1,0,0.3\n2,2,2,2,0.9\n",
		"walks.csv":     "round,replica,temperature_index\n0,0,0\n0,1,1\n0,2,2\n1,0,1\n1,1,0\n1,2,2\n2,0,1\n2,1,0\n2,2,2\n",
		"exchanges.csv": "round,i,j,replica_i,replica_j,probability,accepted\n",
	}
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(dir); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "report.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "Histograms of U", "Replica walks", "acceptance"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("report.svg does not contain %q", want)
		}
	}
	png, err := os.ReadFile(filepath.Join(dir, "report.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("report.png does not start with the PNG signature")
	}
}

func TestWriteNamesABadRow(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "summary.json"), []byte(`{"temperatures":[1]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "energies.csv"), []byte("h\n0,0,1,0,oops\n"), 0o644)
	err := Write(dir)
	if err == nil || !strings.Contains(err.Error(), "energies.csv:2") {
		t.Errorf("err = %v, want one naming energies.csv:2", err)
	}
}
