package report_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model"
	"github.com/burst-dev/burst/remd/report"
)

func Example() {
	dir, _ := os.MkdirTemp("", "remd-report-")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	p, _ := pool.Open(ctx, "local://")
	defer p.Close()
	ts, _ := remd.Temperatures(remd.Geometric, 0.3, 3, 4)
	if _, err := remd.Run(ctx, p, remd.Config{Engine: engine.Spec{Name: "doublewell"}, Temperatures: ts, Rounds: 20, Steps: 50, Out: dir}); err != nil {
		panic(err)
	}
	if err := report.Write(dir); err != nil {
		panic(err)
	}
	_, err := os.Stat(filepath.Join(dir, "report.png"))
	fmt.Println(err == nil)
	// Output: true
}
