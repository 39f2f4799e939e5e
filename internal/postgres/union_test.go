package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// The list of a unit on the county's today (2026-12-05 in the visit
// world): 365 days in operation lists, 364 does not; a joint union's
// member of 25 lists; a union founded this month is newly unionized; an
// unknown opening day is counted apart; every change is in the history.
func TestUnionizationList(t *testing.T) {
	w := newVisitWorld(t)
	ctx := context.Background()
	leader := vis(w.people["leader"])
	put := func(n int, u gridwarn.UnionStatus) {
		t.Helper()
		if _, err := w.db.PutUnionStatus(ctx, leader, w.ents[n-1], u); err != nil {
			t.Fatalf("enterprise %d: %v", n, err)
		}
	}
	l, err := w.db.Unionization(ctx, leader, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 0 || l.OpeningUnknown != 5 || l.Day != "2026-12-05" || l.Unit != testutil.County {
		t.Fatalf("before: %+v", l)
	}
	put(1, gridwarn.UnionStatus{OpenedOn: "2025-12-05"})
	put(2, gridwarn.UnionStatus{OpenedOn: "2025-12-06"})
	put(3, gridwarn.UnionStatus{JointUnion: "合德镇电商联合工会", OpenedOn: "2026-06-01"})
	put(4, gridwarn.UnionStatus{HasUnion: true, UnionSince: "2026-12-01", UnionMembers: 30, OpenedOn: "2010-01-01"})

	l, err = w.db.Unionization(ctx, leader, "")
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]gridwarn.UnionizationReason{}
	for _, it := range l.Items {
		reasons[it.CreditCode] = it.Reason
	}
	want := map[string]gridwarn.UnionizationReason{w.ents[0]: gridwarn.ReasonNoUnion, w.ents[2]: gridwarn.ReasonJointMember}
	if len(reasons) != len(want) || reasons[w.ents[0]] != want[w.ents[0]] || reasons[w.ents[2]] != want[w.ents[2]] {
		t.Errorf("listed: %v, want %v", reasons, want)
	}
	if l.OpeningUnknown != 1 || !slices.Equal(l.NewlyUnionized, []string{w.ents[3]}) {
		t.Errorf("opening unknown %d (want 1: enterprise 5), newly unionized %v (want enterprise 4)", l.OpeningUnknown, l.NewlyUnionized)
	}
	// Town B sees its own list only; town A's is not found.
	if lb, err := w.db.Unionization(ctx, vis(w.people["leader-b"]), ""); err != nil || len(lb.Items) != 0 || lb.OpeningUnknown != 1 || len(lb.NewlyUnionized) != 0 {
		t.Errorf("town B: %+v %v", lb, err)
	}
	if _, err := w.db.Unionization(ctx, vis(w.people["leader-b"]), testutil.TownA); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("town B asking for town A: %v", err)
	}
	if _, err := w.db.PutUnionStatus(ctx, vis(w.people["leader-b"]), w.ents[0], gridwarn.UnionStatus{}); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("town B setting town A's enterprise: %v", err)
	}

	// An import that gives enterprise 3 a union of its own ends its joint
	// membership, keeps the rest, and is in the history.
	es, err := w.db.EnterprisesByCode(ctx, []string{w.ents[2]})
	if err != nil {
		t.Fatal(err)
	}
	e := es[w.ents[2]]
	e.HasUnion = true
	if _, err := w.db.ImportEnterprises(ctx, all, []gridwarn.Enterprise{e}, false); err != nil {
		t.Fatal(err)
	}
	es, _ = w.db.EnterprisesByCode(ctx, []string{w.ents[2]})
	if got := es[w.ents[2]]; !got.HasUnion || got.JointUnion != "" || got.OpenedOn != "2026-06-01" {
		t.Errorf("after the import: %+v", got)
	}
	var n int
	if err := w.db.Pool().QueryRow(ctx, `SELECT count(*) FROM enterprise_union_history WHERE credit_code = $1`, w.ents[2]).Scan(&n); err != nil || n != 3 {
		t.Errorf("enterprise 3's history: %d rows (want 3: registered, joint union, own union), %v", n, err)
	}
	if _, err := w.db.Pool().Exec(ctx, `DELETE FROM enterprise_union_history`); err == nil {
		t.Error("the history can be deleted")
	}
	// The same status again changes nothing, and writes no history.
	put(4, gridwarn.UnionStatus{HasUnion: true, UnionSince: "2026-12-01", UnionMembers: 30, OpenedOn: "2010-01-01"})
	if err := w.db.Pool().QueryRow(ctx, `SELECT count(*) FROM enterprise_union_history WHERE credit_code = $1`, w.ents[3]).Scan(&n); err != nil || n != 2 {
		t.Errorf("enterprise 4's history: %d rows, want 2", n)
	}
}

// A town's monthly union list: all rows or none; an enterprise of another
// town or an unregistered code is a row error; a dry run changes nothing;
// an empty headcount keeps the registry's; the same file again changes
// nothing.
func TestImportUnionStatus(t *testing.T) {
	w := newVisitWorld(t)
	ctx := context.Background()
	townA := vis(w.people["leader-a"])
	sixty := 60
	rows := []gridwarn.UnionRow{
		{CreditCode: w.ents[0], UnionStatus: gridwarn.UnionStatus{HasUnion: true, UnionSince: "2026-11-20", UnionMembers: 41}, Headcount: &sixty},
		{CreditCode: w.ents[1], UnionStatus: gridwarn.UnionStatus{JointUnion: "合德镇联合工会", OpenedOn: "2020-01-01"}},
	}
	bad := append(slices.Clone(rows), gridwarn.UnionRow{CreditCode: w.ents[4]}, gridwarn.UnionRow{CreditCode: testutil.CreditCode(999)})
	_, err := w.db.ImportUnionStatus(ctx, townA, bad, "", false)
	fields := map[string]bool{}
	for _, f := range gridwarn.ErrorFields(err) {
		fields[f.Field] = true
	}
	if !fields["[2].credit_code"] || !fields["[3].credit_code"] || len(fields) != 2 {
		t.Fatalf("town B's enterprise and an unknown code: %v", err)
	}
	if res, err := w.db.ImportUnionStatus(ctx, townA, rows, "", true); err != nil || res.Updated != 2 || !res.DryRun {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	es, _ := w.db.EnterprisesByCode(ctx, w.ents[:2])
	if es[w.ents[0]].HasUnion || es[w.ents[1]].JointUnion != "" {
		t.Fatalf("a dry run or a refused file changed the registry: %+v", es)
	}
	if res, err := w.db.ImportUnionStatus(ctx, townA, rows, "", false); err != nil || res.Updated != 2 {
		t.Fatalf("import: %+v %v", res, err)
	}
	es, _ = w.db.EnterprisesByCode(ctx, w.ents[:2])
	if e := es[w.ents[0]]; !e.HasUnion || e.UnionSince != "2026-11-20" || e.UnionMembers != 41 || e.Headcount != 60 {
		t.Errorf("enterprise 1: %+v", e)
	}
	if e := es[w.ents[1]]; e.JointUnion != "合德镇联合工会" || e.OpenedOn != "2020-01-01" || e.Headcount != 50 {
		t.Errorf("enterprise 2 (headcount kept at 50): %+v", e)
	}
	if res, err := w.db.ImportUnionStatus(ctx, townA, rows, "", false); err != nil || res.Updated != 0 || res.Unchanged != 2 {
		t.Errorf("the same file again: %+v %v", res, err)
	}
	l, err := w.db.Unionization(ctx, townA, "")
	if err != nil || !slices.Equal(l.NewlyUnionized, []string{w.ents[0]}) || len(l.Items) != 1 || l.Items[0].Reason != gridwarn.ReasonJointMember {
		t.Errorf("town A's list after the import: %+v %v", l, err)
	}
}
