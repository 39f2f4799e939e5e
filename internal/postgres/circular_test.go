package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// November 2026's circular worked out by hand from a history of union
// status (the visit world: enterprises 1–4 in town A, 5 in town B):
//
//	1: no union since 2025-12-15, a union from 2026-11-10 → newly unionized, the year's list done
//	2: no union, 50 workers, since 2025-06-01 → on the list all year
//	3: registered 2026-11-15 as a joint union's member of 30 → newly listed
//	4: 20 workers, then 26 on 2026-11-20, but open only since 2026-06-01 → never listed
//	5: town B, 100 workers, registered 2026-01-10 → listed, not on the year's list
func TestUnionCircularByHand(t *testing.T) {
	w := newVisitWorld(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	opened := map[int]string{1: "2020-01-01", 2: "2020-01-01", 3: "2024-01-01", 4: "2026-06-01", 5: "2010-01-01"}
	for n, d := range opened {
		if _, err := w.db.PutUnionStatus(ctx, all, w.ents[n-1], gridwarn.UnionStatus{OpenedOn: d}); err != nil {
			t.Fatal(err)
		}
	}
	history := []struct {
		n         int
		at        string
		union     bool
		joint     string
		headcount int
	}{
		{1, "2025-12-15", false, "", 50}, {1, "2026-11-10", true, "", 50},
		{2, "2025-06-01", false, "", 50},
		{3, "2026-11-15", false, "合德镇电商联合工会", 30},
		{4, "2026-10-01", false, "", 20}, {4, "2026-11-20", false, "", 26},
		{5, "2026-01-10", false, "", 100},
	}
	for _, h := range history {
		at, _ := time.ParseInLocation(time.DateOnly, h.at, loc)
		if _, err := w.db.Pool().Exec(ctx, `INSERT INTO enterprise_union_history (county_code, credit_code, at, has_union,
union_members, joint_union, has_mediation_committee, headcount) VALUES ('320924', $1, $2, $3, 0, $4, false, $5)`,
			w.ents[h.n-1], at.Add(10*time.Hour), h.union, h.joint, h.headcount); err != nil {
			t.Fatal(err)
		}
	}
	county := gridwarn.Unit{Code: testutil.County, Kind: gridwarn.UnitCounty, NameZH: "射阳县"}
	oct, _ := gridwarn.ParsePeriod("2026-10")
	nov, _ := gridwarn.ParsePeriod("2026-11")
	c, err := w.db.BuildUnionCircular(ctx, county, oct, 1)
	if err != nil {
		t.Fatal(err)
	}
	if stored, err := w.db.SaveUnionCircular(ctx, c, "test", false); err != nil || !stored {
		t.Fatalf("October: %v %v", stored, err)
	}
	c, err = w.db.BuildUnionCircular(ctx, county, nov, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Towns) != 2 {
		t.Fatalf("towns: %+v", c.Towns)
	}
	a, b := c.Towns[0], c.Towns[1]
	if a.UnitCode != testutil.TownA || a.Listed != 2 || a.NewlyListed != 1 || a.NewlyUnionized != 1 || a.YearList != 2 ||
		a.YearDone != 1 || a.Progress == nil || *a.Progress != 0.5 {
		t.Errorf("town A: %+v", a)
	}
	if b.UnitCode != testutil.TownB || b.Listed != 1 || b.NewlyListed != 0 || b.NewlyUnionized != 0 || b.YearList != 0 || b.Progress != nil {
		t.Errorf("town B: %+v", b)
	}
	if tt := c.Totals; tt.Listed != 3 || tt.NewlyListed != 1 || tt.NewlyUnionized != 1 || tt.YearList != 2 || *tt.Progress != 0.5 {
		t.Errorf("totals: %+v", tt)
	}
	// Listed longest: 5 and 2 since September (carried by October's
	// circular), the larger first; 3 since November.
	var got []string
	for _, it := range c.Totals.Longest {
		got = append(got, it.CreditCode+" "+it.ListedSince)
	}
	want := []string{w.ents[4] + " 2026-09", w.ents[1] + " 2026-09", w.ents[2] + " 2026-11"}
	if !equalStrings(got, want) {
		t.Errorf("longest: %v, want %v", got, want)
	}
	if r := c.Items[1].Reason; c.Items[1].CreditCode != w.ents[2] || r != gridwarn.ReasonJointMember || !c.Items[2].HundredPlus {
		t.Errorf("items: %+v", c.Items)
	}

	// Two schedulers racing store November once and announce it once.
	var wg sync.WaitGroup
	stored := make(chan bool, 2)
	for range 2 {
		wg.Go(func() {
			c, err := w.db.BuildUnionCircular(ctx, county, nov, 1)
			if err != nil {
				t.Error(err)
				return
			}
			ok, err := w.db.SaveUnionCircular(ctx, c, "schedule", false)
			if err != nil {
				t.Error(err)
			}
			stored <- ok
		})
	}
	wg.Wait()
	close(stored)
	n := 0
	for ok := range stored {
		if ok {
			n++
		}
	}
	var rows, notes int
	_ = w.db.Pool().QueryRow(ctx, `SELECT count(*) FROM union_circulars WHERE period = '2026-11'`).Scan(&rows)
	_ = w.db.Pool().QueryRow(ctx, `SELECT count(*) FROM outbox WHERE topic = 'circular.unionization' AND payload->>'period' = '2026-11'`).Scan(&notes)
	if n != 1 || rows != 1 || notes != 1 {
		t.Errorf("racing schedulers: stored %d times, %d rows, %d notifications; want 1 each", n, rows, notes)
	}
	// Town A's leader reads town A's, not the county's; town B's not town A's.
	if _, err := w.db.UnionCircular(ctx, vis(w.people["leader-a"]), testutil.County, "2026-11"); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("town A's leader reading the county's: %v", err)
	}
	got2, err := w.db.UnionCircular(ctx, vis(w.people["leader"]), testutil.County, "2026-11")
	if err != nil || got2.Revision != 1 || got2.Totals.Listed != 3 {
		t.Errorf("the county's leader: %+v %v", got2, err)
	}
}
