package postgres_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// Villages are measured only where the registry names them (D12), worked
// out by hand on the visit world: town A's enterprises 1 and 2 lie in
// 新港村, 3 in 东风村, 4 names none; only 2 was visited in November. Town
// A: 2 villages, 1 reached, 50 % against 90 %. Town B names no village: no
// village coverage at all. A write without the village keeps it.
func TestCoverageByVillage(t *testing.T) {
	w := newVisitWorld(t)
	ctx := context.Background()
	es, err := w.db.EnterprisesByCode(ctx, w.ents)
	if err != nil {
		t.Fatal(err)
	}
	var put []gridwarn.Enterprise
	for n, v := range map[int]string{1: "新港村", 2: "新港村", 3: "东风村"} {
		e := es[w.ents[n-1]]
		e.Village = v
		put = append(put, e)
	}
	if _, err := w.db.ImportEnterprises(ctx, all, put, false); err != nil {
		t.Fatal(err)
	}
	e := es[w.ents[2]] // enterprise 3 again, without its village
	e.Headcount = 51
	if _, err := w.db.PutEnterprise(ctx, all, e); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.db.Enterprise(ctx, all, w.ents[2]); got.Village != "东风村" || got.Headcount != 51 {
		t.Errorf("a write without the village: %+v", got)
	}
	w.record(t, "gw-a", "vv1", 2, "2026-11-12")
	nov, _ := gridwarn.ParsePeriod("2026-11")
	target := gridwarn.CoverageTarget{Enterprises: 0.95, KeyEnterprises: 1, Villages: 0.9}
	rep, err := w.db.Coverage(ctx, all, testutil.TownA, nov, target)
	if err != nil {
		t.Fatal(err)
	}
	half, no := 0.5, false
	want := &gridwarn.VillageCoverage{Villages: 2, Reached: 1, Share: &half, Met: &no, Target: 0.9, Parts: []gridwarn.VillagePart{
		{TownCode: testutil.TownA, Village: "东风村", Enterprises: 1, Visited: 0},
		{TownCode: testutil.TownA, Village: "新港村", Enterprises: 2, Visited: 1},
	}}
	if diff := cmp.Diff(want, rep.Villages); diff != "" {
		t.Errorf("town A's villages (-want +got):\n%s", diff)
	}
	if rep, err := w.db.Coverage(ctx, all, testutil.TownB, nov, target); err != nil || rep.Villages != nil {
		t.Errorf("town B names no village: %+v %v", rep, err)
	}
	if rep, err := w.db.Coverage(ctx, all, testutil.County, nov, target); err != nil || rep.Villages == nil || rep.Villages.Villages != 2 {
		t.Errorf("the county's villages: %+v %v", rep, err)
	}
}
