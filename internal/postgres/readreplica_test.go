package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// With a read URL, the dashboards and the weekly summaries are read from
// it and everything else from the primary. Here the "replica" is another,
// empty database, so what the dashboard shows tells which one it read.
func TestDashboardsReadFromTheReadReplica(t *testing.T) {
	ctx := context.Background()
	primary, primaryURL := testutil.MustOpenDB(t)
	_, replicaURL := testutil.MustOpenDB(t)
	testutil.MustSeedEnterprises(t, primary, entA)
	split, err := postgres.Open(ctx, postgres.Options{URL: primaryURL, ReadURL: replicaURL})
	if err != nil {
		t.Fatal(err)
	}
	defer split.Close()

	in := incoming("rr-1", entA, "wage_arrears", 3, time.Now().Add(-time.Minute))
	if _, err := split.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := primary.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE id = 'rr-1'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the batch went to the primary: %d events there (%v), want 1", n, err)
	}
	onPrimary, err := primary.Dashboard(ctx, all, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	onSplit, err := split.Dashboard(ctx, all, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if onPrimary.Open != 1 || onSplit.Open != 0 {
		t.Errorf("open tickets: %d on the primary's dashboard, %d on the split one; want 1 and 0 (read from the replica)",
			onPrimary.Open, onSplit.Open)
	}
	if _, err := split.WeeklySummaries(ctx, all, 10); err != nil {
		t.Errorf("summaries from the replica: %v", err)
	}
	var a, b string
	_ = split.Pool().QueryRow(ctx, `SELECT current_database()`).Scan(&a)
	_ = split.ReadPool().QueryRow(ctx, `SELECT current_database()`).Scan(&b)
	if a == b {
		t.Errorf("Pool and ReadPool both reach %q", a)
	}
}
