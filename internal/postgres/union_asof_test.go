package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// newDatedWorld is a county of two towns whose registry is dated
// 2025-12-31 (the history of union status begins then), on 2026-12-05:
//
//	1: town A, 50 workers, no union           → on the list all year
//	2: town A, 20 workers, no union           → 30 workers on the list of 2026-09-30: newly listed in September
//	3: town A, 80 workers, no union           → a union on the list of 2026-10-31: newly unionized in October
//	4: town B, 120 workers, a union           → never listed
//	5: town B, 40 workers, no union           → a union on the list of 2026-09-30: newly unionized in September
//
// Every enterprise opened on 2020-01-01 (the list of 2026-08-31 says so).
func newDatedWorld(t *testing.T) (*postgres.DB, []string) {
	t.Helper()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, loc)
	db, err := postgres.Open(context.Background(), postgres.Options{URL: testutil.MustCreateDatabase(t), Location: loc,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	terr := postgres.Territory{
		AsOf: "2025-12-31",
		Units: []gridwarn.Unit{
			{Code: testutil.County, Kind: gridwarn.UnitCounty, NameZH: "射阳县"},
			{Code: testutil.TownA, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown, ParentCode: testutil.County, NameZH: "合德镇"},
			{Code: testutil.TownB, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown, ParentCode: testutil.County, NameZH: "临海镇"},
		},
		Grids: []gridwarn.Grid{
			{Code: testutil.GridA, TownCode: testutil.TownA, Kind: gridwarn.GridJoint, Name: "合德镇联合网格", Industry: "C"},
			{Code: testutil.GridB, TownCode: testutil.TownB, Kind: gridwarn.GridJoint, Name: "临海镇联合网格", Industry: "C"},
		},
	}
	ents := []struct {
		town, grid string
		headcount  int
		union      bool
	}{{testutil.TownA, testutil.GridA, 50, false}, {testutil.TownA, testutil.GridA, 20, false},
		{testutil.TownA, testutil.GridA, 80, false}, {testutil.TownB, testutil.GridB, 120, true},
		{testutil.TownB, testutil.GridB, 40, false}}
	var codes []string
	for i, e := range ents {
		code := testutil.CreditCode(300 + i)
		codes = append(codes, code)
		terr.Enterprises = append(terr.Enterprises, gridwarn.Enterprise{CreditCode: code, Name: "名单企业" + code[10:],
			IndustryCode: "C17", Ownership: "private", Headcount: e.headcount, HasUnion: e.union, ComplianceGrade: "B",
			TownCode: e.town, GridCode: e.grid})
	}
	if err := db.LoadTerritory(ctx, terr); err != nil {
		t.Fatal(err)
	}
	return db, codes
}

// datedList is the list of a day: every enterprise's whole status, with
// the unions and headcounts given.
func datedList(codes []string, union map[int]string, headcount map[int]int) []gridwarn.UnionRow {
	var rows []gridwarn.UnionRow
	for i, c := range codes {
		r := gridwarn.UnionRow{CreditCode: c, UnionStatus: gridwarn.UnionStatus{OpenedOn: "2020-01-01"}}
		if since, ok := union[i+1]; ok {
			r.HasUnion, r.UnionSince, r.UnionMembers = true, since, 20
		}
		if n, ok := headcount[i+1]; ok {
			r.Headcount = &n
		}
		rows = append(rows, r)
	}
	return rows
}

// A union list of a day is kept in the history at that day; an older list
// that would change something is refused (a dry run too), one that
// changes nothing passes; a day after today is invalid.
func TestImportUnionStatusAsOf(t *testing.T) {
	db, codes := newDatedWorld(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	aug := datedList(codes, map[int]string{4: "2015-01-01"}, nil)
	sep := datedList(codes, map[int]string{4: "2015-01-01", 5: "2026-09-20"}, map[int]int{2: 30})
	oct := datedList(codes, map[int]string{3: "2026-10-15", 4: "2015-01-01", 5: "2026-09-20"}, map[int]int{2: 30})
	for _, l := range []struct {
		day  string
		rows []gridwarn.UnionRow
	}{{"2026-08-31", aug}, {"2026-09-30", sep}, {"2026-10-31", oct}} {
		if _, err := db.ImportUnionStatus(ctx, all, l.rows, l.day, false); err != nil {
			t.Fatalf("the list of %s: %v", l.day, err)
		}
	}
	var at time.Time
	if err := db.Pool().QueryRow(ctx, `SELECT at FROM enterprise_union_history WHERE credit_code = $1 AND has_union`,
		codes[4]).Scan(&at); err != nil || !at.Equal(time.Date(2026, 9, 30, 0, 0, 0, 0, loc)) {
		t.Errorf("enterprise 5's union is of %v, want the list's day 2026-09-30 (%v)", at, err)
	}
	if err := db.Pool().QueryRow(ctx, `SELECT min(at) FROM enterprise_union_history`).Scan(&at); err != nil ||
		!at.Equal(time.Date(2025, 12, 31, 0, 0, 0, 0, loc)) {
		t.Errorf("the registry's history begins %v, want 2025-12-31 (%v)", at, err)
	}

	// September's list again, after October's: enterprise 3 would lose the
	// union October's list gave it.
	for _, dry := range []bool{true, false} {
		_, err := db.ImportUnionStatus(ctx, all, sep, "2026-09-30", dry)
		if gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
			t.Fatalf("an older list (dry run %v): %v, want a conflict", dry, err)
		}
	}
	if es, _ := db.EnterprisesByCode(ctx, codes[2:3]); !es[codes[2]].HasUnion {
		t.Error("the refused list changed the registry")
	}
	// An older list that changes nothing writes nothing out of order.
	if res, err := db.ImportUnionStatus(ctx, all, oct, "2026-10-20", false); err != nil || res.Updated != 0 {
		t.Errorf("an older list that changes nothing: %+v %v", res, err)
	}
	// The registry's own import is dated the same way: enterprise 3's
	// headcount as of a day before October's list gave it a union.
	_, err := db.ImportEnterprisesAsOf(ctx, all, []gridwarn.Enterprise{{CreditCode: codes[2], Name: "名单企业" + codes[2][10:],
		IndustryCode: "C17", Ownership: "private", Headcount: 85, HasUnion: true, ComplianceGrade: "B", TownCode: testutil.TownA,
		GridCode: testutil.GridA}}, "2026-10-01", false)
	if gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("a registry of 2026-10-01 after the list of 2026-10-31: %v, want a conflict", err)
	}
	for _, day := range []string{"2026-12-06", "2026-13-01", "2020-12-31"} {
		_, err := db.ImportUnionStatus(ctx, all, oct, day, false)
		if fs := gridwarn.ErrorFields(err); len(fs) != 1 || fs[0].Field != "as_of" {
			t.Errorf("as of %s: %v", day, err)
		}
	}
	// A union founded after the list's day cannot be on it.
	late := datedList(codes, map[int]string{1: "2026-11-20", 3: "2026-10-15", 4: "2015-01-01", 5: "2026-09-20"}, map[int]int{2: 30})
	if _, err := db.ImportUnionStatus(ctx, all, late, "2026-11-15", false); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Errorf("a union founded after the list's day: %v", err)
	}
	// Today's list (no day) is now, after everything.
	if res, err := db.ImportUnionStatus(ctx, all, late, "", false); err != nil || res.Updated != 1 {
		t.Errorf("today's list: %+v %v", res, err)
	}
}

// The circulars of past months read the dated lists (worked out by hand
// from newDatedWorld): September has enterprise 2 newly listed in town A
// and enterprise 5 newly unionized in town B; October enterprise 3 newly
// unionized in town A. The year's list (at 2026-01-01) is 1, 3 (town A)
// and 5 (town B).
func TestUnionCircularOfDatedLists(t *testing.T) {
	db, codes := newDatedWorld(t)
	ctx := context.Background()
	lists := []struct {
		day  string
		rows []gridwarn.UnionRow
	}{
		{"2026-08-31", datedList(codes, map[int]string{4: "2015-01-01"}, nil)},
		{"2026-09-30", datedList(codes, map[int]string{4: "2015-01-01", 5: "2026-09-20"}, map[int]int{2: 30})},
		{"2026-10-31", datedList(codes, map[int]string{3: "2026-10-15", 4: "2015-01-01", 5: "2026-09-20"}, map[int]int{2: 30})},
	}
	for _, l := range lists {
		if _, err := db.ImportUnionStatus(ctx, all, l.rows, l.day, false); err != nil {
			t.Fatalf("the list of %s: %v", l.day, err)
		}
	}
	county := gridwarn.Unit{Code: testutil.County, Kind: gridwarn.UnitCounty, NameZH: "射阳县"}
	type town struct{ listed, newlyListed, newlyUnionized, yearList, yearDone int }
	want := map[string][2]town{ // town A, town B
		"2026-08": {{2, 0, 0, 2, 0}, {1, 0, 0, 1, 0}},
		"2026-09": {{3, 1, 0, 2, 0}, {0, 0, 1, 1, 1}},
		"2026-10": {{2, 0, 1, 2, 1}, {0, 0, 0, 1, 1}},
	}
	for _, month := range []string{"2026-08", "2026-09", "2026-10"} {
		p, _ := gridwarn.ParsePeriod(month)
		c, err := db.BuildUnionCircular(ctx, county, p, 1)
		if err != nil {
			t.Fatal(err)
		}
		if stored, err := db.SaveUnionCircular(ctx, c, "test", false); err != nil || !stored {
			t.Fatalf("%s: %v %v", month, stored, err)
		}
		if len(c.Towns) != 2 {
			t.Fatalf("%s: towns %+v", month, c.Towns)
		}
		for i, ct := range c.Towns {
			got := town{ct.Listed, ct.NewlyListed, ct.NewlyUnionized, ct.YearList, ct.YearDone}
			if got != want[month][i] {
				t.Errorf("%s, %s: %+v, want %+v", month, ct.UnitCode, got, want[month][i])
			}
		}
	}
}
