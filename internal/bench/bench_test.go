package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// TestRunPrintsEveryRow runs the whole bench in this process with tiny
// sizes against the test PostgreSQL and checks that the table has every
// row with a figure. It asserts no speed: a bench is not a test of speed.
func TestRunPrintsEveryRow(t *testing.T) {
	cfg := config.Default()
	cfg.Database.URL = testutil.DatabaseURL(t)
	s := Sizes{
		Reps:        3,
		PublishSync: 20, PublishAsync: 200, AtomicBatch: 50,
		Events: 200, BigEnterprises: 300,
		LatencyRates: []int{50, 200}, LatencyDuration: 200 * time.Millisecond,
		Concurrency: 4, IntakeDuration: 100 * time.Millisecond,
		Tickets: 2000, DetailSample: 20, ReadDuration: 100 * time.Millisecond,
		Warmup: 20 * time.Millisecond, SummaryEvents: 2000,
	}
	// A guard against a hang, not a bound on speed: the windows are
	// count-bounded, so a slow machine only makes the run longer.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	err := Run(ctx, Options{Sizes: s, Config: cfg, Progress: &progress}, &out)
	table := out.String()
	t.Log(progress.String())
	if err != nil {
		t.Fatalf("Run: %v\n%s\n%s", err, progress.String(), table)
	}
	for _, label := range []string{"1a", "1b", "1c", "1d", "2a", "2b", "3a", "3b", "3c", "3d", "3e", "3f", "3g", "3h",
		"4a", "4b", "5a", "5a-p99", "5b", "5c", "5d", "5e", "6"} {
		if !strings.Contains(table, "\n| "+label+" | ") {
			t.Errorf("row %s missing from the table:\n%s", label, table)
		}
	}
	for _, bad := range []string{"failed", "not measured", "not run", "n/a"} {
		if strings.Contains(table, bad) {
			t.Errorf("the table says %q:\n%s", bad, table)
		}
	}
	for _, want := range []string{"**Machine:**", "**Settings:**", "sync_interval always"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	// Every measured row has a figure with its range and a peak RSS.
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.Contains(line, "n/a (issue") || strings.HasPrefix(line, "| # ") {
			continue
		}
		cells := strings.Split(line, " | ")
		if len(cells) != 7 {
			t.Errorf("row with %d cells: %s", len(cells), line)
			continue
		}
		if !strings.Contains(cells[2], "[") || !strings.HasSuffix(line, "MiB |") {
			t.Errorf("row without a median [min–max] or a peak RSS: %s", line)
		}
	}
}

func TestFigure(t *testing.T) {
	f := Figure{Values: []float64{3, 1, 2}, Unit: "msgs/s"}
	if got, want := f.String(), "2.00 msgs/s [1.00–3.00]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := (Figure{Values: []float64{1, 4, 2, 3}}).Median(); got != 2.5 {
		t.Errorf("median of an even count = %v, want 2.5", got)
	}
	r := ratios(Figure{Values: []float64{10, 20, 30}}, Figure{Values: []float64{5, 10, 0}})
	if len(r.Values) != 2 || r.Values[0] != 2 || r.Values[1] != 2 {
		t.Errorf("ratios = %v, want [2 2] (a zero denominator is skipped)", r.Values)
	}
	if got := num(1234567); got != "1,234,567" {
		t.Errorf("num(1234567) = %q", got)
	}
	lat := latencies{5 * time.Millisecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}.sorted()
	if got := lat.pcts(); got != [4]float64{3, 5, 5, 5} {
		t.Errorf("pcts = %v, want [3 5 5 5]", got)
	}
}

// The optional row 2c fills its stored events and measures both engines;
// optional rows appear only when their group ran.
func TestEngineStoredRow(t *testing.T) {
	cfg := config.Default()
	cfg.Database.URL = testutil.DatabaseURL(t)
	s := Sizes{
		Reps: 3, PublishSync: 1, PublishAsync: 1, AtomicBatch: 50, Events: 100, BigEnterprises: 1, StoredEvents: 3000,
		LatencyRates: []int{50}, LatencyDuration: time.Millisecond, Concurrency: 1, IntakeDuration: time.Millisecond,
		Tickets: 1, DetailSample: 1, ReadDuration: time.Millisecond, SummaryEvents: 10,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a guard against a hang
	defer cancel()
	var out, progress bytes.Buffer
	if err := Run(ctx, Options{Sizes: s, Config: cfg, Only: []string{GroupEngineStored}, Progress: &progress}, &out); err != nil {
		t.Fatalf("Run: %v\n%s\n%s", err, progress.String(), out.String())
	}
	table := out.String()
	if !strings.Contains(table, "\n| 2c | ") || !strings.Contains(table, "3,000 events already stored") {
		t.Errorf("row 2c missing:\n%s", table)
	}
	if strings.Contains(table, "\n| 7a | ") {
		t.Errorf("an optional group's row is printed though it did not run:\n%s", table)
	}
}
