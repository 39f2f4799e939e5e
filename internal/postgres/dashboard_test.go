package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// A leader's dashboard counts the open tickets of their scope now, lists
// the red and overdue ones, compares the towns and shows the events of the
// last eight weeks by level; a town's leader sees nothing of another town.
func TestDashboard(t *testing.T) {
	w := newWorkbench(t)
	ctx := context.Background()
	now := time.Now().In(isoweek.Shanghai)

	// Town A: three blue tickets (one closed since), one red ticket with an
	// event now and one three weeks ago; one blue ticket is overdue.
	// Town B: one orange ticket.
	blue := w.open(3, 3)
	redEnt := w.ents[5]
	red := incoming("dash-red-1", redEnt.CreditCode, "owner_absconded", 150, now.Add(-time.Minute))
	old := incoming("dash-red-0", redEnt.CreditCode, "owner_absconded", 150, now.Add(-21*24*time.Hour))
	red.Enterprise, old.Enterprise = redEnt, redEnt
	bs, err := w.db.Enterprises(ctx, all, gridwarn.EnterpriseFilter{TownCode: testutil.TownB, Limit: 1})
	if err != nil || len(bs) != 1 {
		t.Fatalf("an enterprise of town B: %v %v", bs, err)
	}
	orange := incoming("dash-orange", bs[0].CreditCode, "wage_arrears", 40, now.Add(-time.Minute))
	orange.Enterprise = bs[0]
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{old, red, orange}, nil); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := w.db.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE tickets SET status = 'closed', closed_at = now() WHERE id = $1`, blue[0])
	exec(`UPDATE tickets SET overdue_at = $2 WHERE id = $1`, blue[1], now.Add(-time.Hour))
	exec(`UPDATE tickets SET overdue_at = $2 WHERE id = $1`, blue[2], now.Add(time.Hour)) // not yet

	// The trend expected: each event in its ISO week (Shanghai), if among the last eight.
	weeks := isoweek.Last(isoweek.Of(now, isoweek.Shanghai), 8)
	trend := func(events ...gridwarn.Incoming) []gridwarn.WeekLevels {
		out := make([]gridwarn.WeekLevels, len(weeks))
		for i, wk := range weeks {
			out[i] = gridwarn.WeekLevels{ISO: isoweek.Format(wk), ByLevel: map[gridwarn.Level]int{}}
			for _, e := range events {
				if isoweek.Of(e.Event.OccurredAt, isoweek.Shanghai) == wk {
					out[i].ByLevel[e.Decision.Level]++
				}
			}
		}
		return out
	}
	var blueEvents []gridwarn.Incoming
	for range 3 {
		blueEvents = append(blueEvents, incoming("", "", "", 3, t0))
	}

	d, err := w.db.Dashboard(ctx, gridwarn.Visibility{CountyCode: testutil.County}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.Open != 4 || d.Overdue != 1 || d.NewThisWeek != 5 || d.Week != isoweek.Format(weeks[7]) {
		t.Errorf("county: open %d overdue %d new %d week %s, want 4, 1, 5, %s", d.Open, d.Overdue, d.NewThisWeek, d.Week, isoweek.Format(weeks[7]))
	}
	if diff := cmp.Diff(map[gridwarn.Level]int{"blue": 2, "red": 1, "orange": 1}, d.OpenByLevel); diff != "" {
		t.Errorf("open by level (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[gridwarn.Tier]int{"enterprise": 2, "county": 1, "town": 1}, d.OpenByTier); diff != "" {
		t.Errorf("open by tier (-want +got):\n%s", diff)
	}
	if len(d.Red) != 1 || d.Red[0].Enterprise != redEnt.CreditCode || d.Red[0].Name != redEnt.Name || d.Red[0].TownName != "合德镇" {
		t.Errorf("red = %+v", d.Red)
	}
	if len(d.OverdueList) != 1 || d.OverdueList[0].ID != blue[1] || d.OverdueList[0].OverdueAt == nil {
		t.Errorf("overdue = %+v, want ticket %d", d.OverdueList, blue[1])
	}
	towns := map[string]gridwarn.BoardTown{}
	for _, tl := range d.Towns {
		towns[tl.Code] = tl
	}
	a, b := towns[testutil.TownA], towns[testutil.TownB]
	if len(d.Towns) != 15 || a.Open != 3 || a.OpenByLevel[gridwarn.LevelRed] != 1 || a.Overdue != 1 || a.NewThisWeek != 4 ||
		b.Open != 1 || b.OpenByLevel[gridwarn.LevelOrange] != 1 || b.NewThisWeek != 1 || b.Name != "临海镇" {
		t.Errorf("towns: %d lines, town A %+v, town B %+v", len(d.Towns), a, b)
	}
	if diff := cmp.Diff(trend(append(blueEvents, old, red, orange)...), d.Trend); diff != "" {
		t.Errorf("county trend (-want +got):\n%s", diff)
	}

	// Town B's leader: only town B.
	d, err = w.db.Dashboard(ctx, gridwarn.Visibility{CountyCode: testutil.County, TownCode: testutil.TownB}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.Open != 1 || d.Overdue != 0 || d.NewThisWeek != 1 || len(d.Red) != 0 || len(d.OverdueList) != 0 ||
		len(d.Towns) != 1 || d.Towns[0].Code != testutil.TownB || d.OpenByLevel[gridwarn.LevelRed] != 0 {
		t.Errorf("town B sees %+v", d)
	}
	if diff := cmp.Diff(trend(orange), d.Trend); diff != "" {
		t.Errorf("town B trend (-want +got):\n%s", diff)
	}

	// Nobody's visibility sees nothing.
	d, err = w.db.Dashboard(ctx, gridwarn.Visibility{}, now)
	if err != nil || d.Open != 0 || len(d.Towns) != 0 || len(d.Red) != 0 {
		t.Errorf("zero visibility sees %+v, %v", d, err)
	}
}
