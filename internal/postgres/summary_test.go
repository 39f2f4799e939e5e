package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// A week's summary is computed from the stored events and history.
func TestBuildWeeklySummary(t *testing.T) {
	w := newWorkbench(t)
	ctx := context.Background()
	// Three tickets: two blue, one red with two events.
	w.open(2, 3)
	e := w.ents[3]
	red := incoming("red-1", e.CreditCode, "owner_absconded", 150, t0)
	red.Enterprise = e
	red.Decision.Fired = []gridwarn.Firing{{Rule: "workers_100", Level: gridwarn.LevelRed, LabelZH: "涉及100人以上"}}
	red.Decision.Score = 88
	red2 := incoming("red-2", e.CreditCode, "owner_absconded", 160, t0)
	red2.Enterprise, red2.Decision = e, red.Decision
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{red, red2}, nil); err != nil {
		t.Fatal(err)
	}
	ids := w.open(0, 0)
	// Work one blue ticket to the end: accept, reply with money, call back, close.
	blue := ids[len(ids)-1]
	const med, head = "mediator-320924100-2", "mediator-320924100-1"
	for _, a := range []string{"claim", "accept", "start"} {
		w.must(med, blue, a, gridwarn.ActionBody{})
	}
	w.must(med, blue, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "paid_in_full", AmountRecoveredCNY: 50000, WorkersCovered: 7}})
	w.must(head, blue, "review", gridwarn.ActionBody{Approved: yes()})
	w.must(med, blue, "callback", gridwarn.ActionBody{Satisfied: yes()})
	w.must(med, blue, "close", gridwarn.ActionBody{})

	now := time.Now()
	// The events occurred at t0; the tickets and steps happened now.
	week := postgres.WeekSpan{ISO: "2026-W47", From: t0.Add(-time.Hour), To: now.Add(time.Hour)}
	prev := postgres.WeekSpan{ISO: "2026-W46", From: t0.Add(-49 * time.Hour), To: t0.Add(-time.Hour)}
	county := gridwarn.Unit{Code: testutil.County, Kind: gridwarn.UnitCounty, NameZH: "射阳县"}
	s, err := w.db.BuildWeeklySummary(ctx, postgres.SummaryScope{Unit: county}, week, prev, []postgres.WeekSpan{prev, week}, "Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	h := s.Headline
	if h.Events != 4 || h.NewTickets != 3 || h.Closed != 1 || h.MoneyRecoveredCNY != 50000 || h.WorkersCovered != 7 ||
		h.CallBacks != 1 || h.SatisfactionPct != 100 {
		t.Errorf("headline = %+v", h)
	}
	if s.ByLevel[gridwarn.LevelRed] != 2 || s.ByLevel[gridwarn.LevelBlue] != 2 || s.ByCat[gridwarn.CategoryOwnerAbsconded] != 2 {
		t.Errorf("by level %v, by category %v", s.ByLevel, s.ByCat)
	}
	if len(s.Red) != 1 || len(s.Red[0].Rules) != 1 || s.Red[0].Rules[0] != "涉及100人以上" || s.Red[0].Tier != gridwarn.TierCounty {
		t.Errorf("red tickets = %+v", s.Red)
	}
	if len(s.Riskiest) == 0 || s.Riskiest[0].CreditCode != e.CreditCode || s.Riskiest[0].Score != 88 || s.Riskiest[0].Events != 2 {
		t.Errorf("riskiest = %+v", s.Riskiest)
	}
	if s.TimeLimits[0].Tier != gridwarn.TierEnterprise || s.TimeLimits[0].Ended != 1 || s.TimeLimits[0].Met != 1 {
		t.Errorf("time limits = %+v, want the enterprise tier's accept clock met", s.TimeLimits)
	}
	if s.Accept.Count != 1 || s.Resolve.Count != 1 {
		t.Errorf("accept %+v resolve %+v", s.Accept, s.Resolve)
	}
	var open int
	for _, b := range s.Backlog {
		open += b.Count
	}
	if open != 2 {
		t.Errorf("backlog = %+v, want 2 open tickets", s.Backlog)
	}
	var townA *gridwarn.TownLine
	for i := range s.Towns {
		if s.Towns[i].TownCode == testutil.TownA {
			townA = &s.Towns[i]
		}
	}
	if len(s.Towns) != 15 || townA == nil || townA.Headline.Events != 4 {
		t.Errorf("towns: %d lines, town A %+v", len(s.Towns), townA)
	}
	if len(s.Trend) != 2 || s.Trend[1].ByLevel[gridwarn.LevelRed] != 2 || s.Previous.Events != 0 {
		t.Errorf("trend %+v, previous %+v", s.Trend, s.Previous)
	}

	// Stored once by the schedule, however many replicas try; a rebuild keeps the old revision.
	for range 3 {
		if _, err := w.db.SaveWeeklySummary(ctx, s, "schedule", false); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, w.db, "SELECT count(*) FROM weekly_summaries"); n != 1 {
		t.Errorf("scheduled builds stored %d summaries, want 1", n)
	}
	if ok, err := w.db.SaveWeeklySummary(ctx, s, "admin", true); err != nil || !ok || s.Revision != 2 {
		t.Errorf("rebuild: %v %v revision %d", ok, err, s.Revision)
	}
	got, err := w.db.WeeklySummary(ctx, gridwarn.Visibility{CountyCode: testutil.County}, testutil.County, "2026-W47")
	if err != nil || got.Revision != 2 || got.Headline.Events != 4 {
		t.Errorf("stored summary: %+v, %v", got, err)
	}
	if _, err := w.db.WeeklySummary(ctx, gridwarn.Visibility{CountyCode: testutil.County, TownCode: testutil.TownB}, testutil.County, "2026-W47"); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("a town reads the county's summary: %v, want not found", err)
	}
}
