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
