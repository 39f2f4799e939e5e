package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// The summary's hotline rows count the 12351 cases filed in its span: the
// county's every case (held ones included), a town's those about its
// enterprises; a case filed outside the span does not count.
func TestWeeklySummaryCountsHotlineCases(t *testing.T) {
	db := MustOpenDB(t)
	d := testutil.MustSeedDemoCounty(t, db)
	ctx := context.Background()
	var entA, entB string
	for _, e := range d.Enterprises {
		switch {
		case e.TownCode == testutil.TownA && entA == "":
			entA = e.CreditCode
		case e.TownCode == testutil.TownB && entB == "":
			entB = e.CreditCode
		}
	}
	from := time.Date(2026, 11, 16, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	to := from.AddDate(0, 0, 7)
	in := from.Add(50 * time.Hour)
	n := 0
	file := func(at time.Time, intake, class, status, enterprise string, answered, collective bool, platform string) {
		t.Helper()
		n++
		var closed *time.Time
		if status == "closed" {
			closed = &at
		}
		var ent, eventID, platformOrder *string
		if enterprise != "" {
			ent = &enterprise
		}
		if status == "forwarded" {
			id := fmt.Sprintf("hotline-320924-test-%d", n)
			eventID = &id
		}
		if platform != "" {
			platformOrder = &platform
		}
		if _, err := db.Pool().Exec(ctx, `
INSERT INTO hotline_cases (county_code, work_order, platform_order, status, intake_type, class, answered_on_call, caller_name,
    caller_phone, enterprise, enterprise_name, category, collective, filed_by, filed_at, due_at, closed_at, event_id)
VALUES ('320924', $1, $2, $3, $4, $5, $6, '某某', '13800000000', $7, '某厂', 'wage_arrears', $8, 'hotline', $9, $9, $10, $11)`,
			fmt.Sprintf("12351-20261118-%04d", n), platformOrder, status, intake, class, answered, ent, collective, at, closed, eventID); err != nil {
			t.Fatal(err)
		}
	}
	file(in, "consultation", "ordinary", "closed", "", true, false, "")
	file(in, "consultation", "ordinary", "closed", "", true, false, "")
	file(in, "consultation", "ordinary", "forwarded", entA, false, false, "")
	file(in, "help", "difficult", "forwarded", entA, false, true, "YC12351-1")
	file(in, "complaint", "complex", "forwarded", entB, false, true, "")
	file(in, "legal_aid", "ordinary", "to_identify", "", false, false, "YC12351-2")
	file(in, "suggestion", "ordinary", "closed", "", false, false, "")
	file(from.Add(-time.Minute), "help", "ordinary", "forwarded", entA, false, false, "") // the week before
	file(to, "help", "ordinary", "forwarded", entA, false, false, "")                     // the week after

	week := postgres.WeekSpan{ISO: "2026-W47", From: from, To: to}
	prev := postgres.WeekSpan{ISO: "2026-W46", From: from.AddDate(0, 0, -7), To: from}
	units := map[string]gridwarn.Unit{d.County.Code: d.County}
	for _, u := range d.Towns {
		units[u.Code] = u
	}
	for _, c := range []struct {
		unit string
		want gridwarn.HotlineFigures
	}{
		{testutil.County, gridwarn.HotlineFigures{Total: 7,
			ByIntakeType:   map[gridwarn.IntakeType]int{"consultation": 3, "help": 1, "complaint": 1, "legal_aid": 1, "suggestion": 1},
			ByClass:        map[gridwarn.CaseClass]int{"ordinary": 5, "difficult": 1, "complex": 1},
			ByStatus:       map[gridwarn.HotlineStatus]int{"to_identify": 1, "forwarded": 3, "closed": 3},
			AnsweredOnCall: 2, Collective: 2, PlatformOrders: 2}},
		{testutil.TownA, gridwarn.HotlineFigures{Total: 2,
			ByIntakeType: map[gridwarn.IntakeType]int{"consultation": 1, "help": 1, "complaint": 0, "legal_aid": 0, "suggestion": 0},
			ByClass:      map[gridwarn.CaseClass]int{"ordinary": 1, "difficult": 1, "complex": 0},
			ByStatus:     map[gridwarn.HotlineStatus]int{"to_identify": 0, "forwarded": 2, "closed": 0},
			Collective:   1, PlatformOrders: 1}},
	} {
		s, err := db.BuildWeeklySummary(ctx, postgres.SummaryScope{Unit: units[c.unit]}, week, prev, []postgres.WeekSpan{prev, week}, "Asia/Shanghai")
		if err != nil {
			t.Fatal(err)
		}
		if s.Hotline == nil {
			t.Fatalf("%s: no hotline figures", c.unit)
		}
		if diff := cmp.Diff(c.want, *s.Hotline); diff != "" {
			t.Errorf("%s: hotline (-want +got):\n%s", c.unit, diff)
		}
	}
}
