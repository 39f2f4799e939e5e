package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// visitWorld is a small territory worked out by hand: town A has the joint
// grid A-J01 (enterprises 1 key, 2, 3) and the park grid A-P01 (4 key);
// town B has B-J01 (5). Its clock stands at 2026-12-05 10:00 in Shanghai.
type visitWorld struct {
	db     *postgres.DB
	ents   []string // 1..5 at 0..4
	people map[string]*gridwarn.Principal
}

const gridAP = "320924100-P01"

func newVisitWorld(t *testing.T) *visitWorld {
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
	w := &visitWorld{db: db, people: map[string]*gridwarn.Principal{}}
	terr := postgres.Territory{
		Units: []gridwarn.Unit{
			{Code: testutil.County, Kind: gridwarn.UnitCounty, NameZH: "射阳县"},
			{Code: testutil.TownA, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown, ParentCode: testutil.County, NameZH: "合德镇"},
			{Code: testutil.TownB, Kind: gridwarn.UnitTown, TownType: gridwarn.TownTown, ParentCode: testutil.County, NameZH: "临海镇"},
		},
		Grids: []gridwarn.Grid{
			{Code: testutil.GridA, TownCode: testutil.TownA, Kind: gridwarn.GridJoint, Name: "合德镇联合网格", Industry: "C"},
			{Code: gridAP, TownCode: testutil.TownA, Kind: gridwarn.GridPark, Name: "合德镇园区网格"},
			{Code: testutil.GridB, TownCode: testutil.TownB, Kind: gridwarn.GridJoint, Name: "临海镇联合网格", Industry: "C"},
		},
	}
	place := []struct {
		town, grid string
		key        bool
	}{{testutil.TownA, testutil.GridA, true}, {testutil.TownA, testutil.GridA, false}, {testutil.TownA, testutil.GridA, false},
		{testutil.TownA, gridAP, true}, {testutil.TownB, testutil.GridB, false}}
	for i, p := range place {
		code := testutil.CreditCode(100 + i)
		w.ents = append(w.ents, code)
		terr.Enterprises = append(terr.Enterprises, gridwarn.Enterprise{CreditCode: code, Name: "走访企业" + code[10:], IndustryCode: "C17",
			Ownership: "private", Headcount: 50, ComplianceGrade: "B", TownCode: p.town, GridCode: p.grid, KeyEnterprise: p.key})
	}
	grids := func(g ...string) gridwarn.Scope {
		return gridwarn.Scope{Kind: gridwarn.ScopeGrids, UnitCode: testutil.County, GridCodes: g}
	}
	terr.Users = []gridwarn.User{
		{Username: "gw-a", Role: gridwarn.RoleGridWorker, Scope: grids(testutil.GridA)},
		{Username: "gw-ap", Role: gridwarn.RoleGridWorker, Scope: grids(gridAP)},
		{Username: "leader-a", Role: gridwarn.RoleLeader, Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testutil.TownA}},
		{Username: "leader-b", Role: gridwarn.RoleLeader, Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testutil.TownB}},
		{Username: "leader", Role: gridwarn.RoleLeader, Scope: gridwarn.Scope{Kind: gridwarn.ScopeCounty, UnitCode: testutil.County}},
	}
	if err := db.LoadTerritory(ctx, terr); err != nil {
		t.Fatal(err)
	}
	for _, u := range terr.Users {
		got, err := db.UserByName(ctx, u.Username)
		if err != nil {
			t.Fatal(err)
		}
		w.people[u.Username] = &gridwarn.Principal{User: *got}
	}
	return w
}

func (w *visitWorld) record(t *testing.T, who, id string, ent int, day string) {
	t.Helper()
	v := gridwarn.Visit{ID: id, Enterprise: w.ents[ent-1], VisitedOn: day, Kind: gridwarn.VisitPatrol, PeopleMet: "工会主席"}
	if _, _, err := w.db.RecordVisit(context.Background(), w.people[who], v); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
}

func vis(p *gridwarn.Principal) gridwarn.Visibility { return gridwarn.VisibilityOf(p.Scope) }

// Coverage on a dataset worked out by hand: November's last day is
// November's, December's first is not; an enterprise visited twice counts
// once; key enterprises are counted apart; the county's parts are its
// towns, a town's its grids.
func TestCoverageByHand(t *testing.T) {
	w := newVisitWorld(t)
	ctx := context.Background()
	w.record(t, "gw-a", "v1", 1, "2026-11-02")  // key, twice in November
	w.record(t, "gw-a", "v2", 1, "2026-11-30")  //
	w.record(t, "gw-a", "v3", 2, "2026-12-01")  // December: not November
	w.record(t, "gw-a", "v4", 3, "2026-10-31")  // October: Q4, not November
	w.record(t, "gw-ap", "v5", 4, "2026-09-30") // Q3
	nov, _ := gridwarn.ParsePeriod("2026-11")
	target := gridwarn.CoverageTarget{Enterprises: 0.5, KeyEnterprises: 1}

	county, err := w.db.Coverage(ctx, vis(w.people["leader"]), "", nov, target)
	if err != nil {
		t.Fatal(err)
	}
	// November: only enterprise 1 (key) of 5 (2 key).
	if county.Unit != testutil.County || county.Enterprises != 5 || county.Visited != 1 || county.KeyEnterprises != 2 ||
		county.KeyVisited != 1 || *county.Share != 0.2 || *county.Met || *county.KeyShare != 0.5 || *county.KeyMet {
		t.Errorf("county, November: %+v", county.Coverage)
	}
	if county.Towns != 2 || county.TownsVisited != 1 || len(county.Parts) != 2 ||
		county.Parts[0].Unit != testutil.TownA || county.Parts[0].Enterprises != 4 || county.Parts[0].Visited != 1 ||
		county.Parts[1].Unit != testutil.TownB || county.Parts[1].Visited != 0 || *county.Parts[1].Share != 0 {
		t.Errorf("county's towns, November: %d/%d %+v", county.TownsVisited, county.Towns, county.Parts)
	}
	if county.From != "2026-11-01" || county.To != "2026-11-30" {
		t.Errorf("November runs %s–%s", county.From, county.To)
	}

	// Q4 in town A: enterprises 1, 2, 3 of 4; key: 1 of 2. Grids: J01 3 of 3, P01 0 of 1.
	q4, _ := gridwarn.ParsePeriod("2026-Q4")
	town, err := w.db.Coverage(ctx, vis(w.people["leader"]), testutil.TownA, q4, target)
	if err != nil {
		t.Fatal(err)
	}
	if town.Enterprises != 4 || town.Visited != 3 || *town.Share != 0.75 || !*town.Met || town.KeyVisited != 1 || *town.KeyMet {
		t.Errorf("town A, Q4: %+v", town.Coverage)
	}
	if len(town.Parts) != 2 || town.Parts[0].Unit != testutil.GridA || town.Parts[0].Visited != 3 ||
		town.Parts[1].Unit != gridAP || town.Parts[1].Visited != 0 || town.Parts[1].KeyEnterprises != 1 {
		t.Errorf("town A's grids, Q4: %+v", town.Parts)
	}
	// The year: all of town A, none of town B.
	year, _ := gridwarn.ParsePeriod("2026")
	y, err := w.db.Coverage(ctx, vis(w.people["leader"]), "", year, gridwarn.CoverageTarget{})
	if err != nil {
		t.Fatal(err)
	}
	if y.Visited != 4 || y.KeyVisited != 2 || y.Met != nil || y.TownsVisited != 1 {
		t.Errorf("2026: %+v", y.Coverage)
	}

	// A grid worker's coverage is their grids'.
	gw, err := w.db.Coverage(ctx, vis(w.people["gw-a"]), "", nov, target)
	if err != nil {
		t.Fatal(err)
	}
	if gw.Unit != "grids" || gw.Enterprises != 3 || gw.Visited != 1 || len(gw.Parts) != 1 {
		t.Errorf("gw-a, November: %+v", gw)
	}
	// Units outside one's scope are not found.
	for _, c := range []struct{ who, unit string }{{"leader-b", testutil.TownA}, {"leader-b", testutil.County},
		{"gw-a", gridAP}, {"gw-a", testutil.TownA}, {"leader-a", "320924101-J01"}} {
		if _, err := w.db.Coverage(ctx, vis(w.people[c.who]), c.unit, nov, target); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
			t.Errorf("%s asking for %s: %v", c.who, c.unit, err)
		}
	}
}

// A form re-sent with the same id stores one visit; the id reused with
// other content is a conflict; a grid worker records and sees visits of
// their own grids only.
func TestVisitsOnceAndInScope(t *testing.T) {
	w := newVisitWorld(t)
	ctx := context.Background()
	v := gridwarn.Visit{ID: "form-1", Enterprise: w.ents[0], VisitedOn: "2026-12-05", Kind: gridwarn.VisitWorkersForum,
		PeopleMet: "职工代表 6 人", Findings: "十一月工资未发。\n老板称下周发。", ReportID: "rep-form-1"}
	for i := range 3 {
		got, created, err := w.db.RecordVisit(ctx, w.people["gw-a"], v)
		if err != nil {
			t.Fatal(err)
		}
		if created != (i == 0) || got.Visitor != "gw-a" || got.GridCode != testutil.GridA || got.ReportID != "rep-form-1" ||
			got.Findings != v.Findings {
			t.Errorf("send %d: created %v, %+v", i+1, created, got)
		}
	}
	other := v
	other.Findings = "另一次"
	if _, _, err := w.db.RecordVisit(ctx, w.people["gw-a"], other); gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("the id with other content: %v", err)
	}
	if _, _, err := w.db.RecordVisit(ctx, w.people["gw-ap"], v); gridwarn.ErrorCode(err) != gridwarn.EUNPROCESSABLE {
		t.Errorf("another grid's worker re-sending it: %v", err)
	}
	// Another grid's enterprise: unknown to this grid worker, nothing stored.
	out := gridwarn.Visit{ID: "form-2", Enterprise: w.ents[3], VisitedOn: "2026-12-05", Kind: gridwarn.VisitPatrol}
	if _, _, err := w.db.RecordVisit(ctx, w.people["gw-a"], out); gridwarn.ErrorCode(err) != gridwarn.EUNPROCESSABLE {
		t.Errorf("an enterprise of another grid: %v", err)
	}
	w.record(t, "gw-ap", "form-3", 4, "2026-12-04")
	w.record(t, "leader", "form-4", 5, "2026-12-03")

	ids := func(who, unit string) []string {
		vs, err := w.db.Visits(ctx, vis(w.people[who]), gridwarn.VisitFilter{Unit: unit})
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		var out []string
		for _, v := range vs {
			out = append(out, v.ID)
		}
		return out
	}
	for who, want := range map[string][]string{"gw-a": {"form-1"}, "gw-ap": {"form-3"}, "leader-a": {"form-1", "form-3"},
		"leader-b": {"form-4"}, "leader": {"form-1", "form-3", "form-4"}} {
		if got := ids(who, ""); !equalStrings(got, want) {
			t.Errorf("%s sees %v, want %v", who, got, want)
		}
	}
	if got := ids("leader", testutil.TownB); !equalStrings(got, []string{"form-4"}) {
		t.Errorf("the county's leader asking for town B: %v", got)
	}
	if _, err := w.db.Visits(ctx, vis(w.people["leader-b"]), gridwarn.VisitFilter{Unit: testutil.TownA}); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("town B's leader asking for town A: %v", err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Overdue on 2026-12-05: key enterprise 1 visited 2026-11-04 (due 12-04,
// a day late), enterprise 2 visited 2026-09-05 (due today: not late),
// enterprise 3 visited 2026-08-01 (due 11-01, 34 days late), key
// enterprise 4 never visited; town A only.
func TestOverdueVisits(t *testing.T) {
	w := newVisitWorld(t)
	w.record(t, "gw-a", "o1", 1, "2026-11-04")
	w.record(t, "gw-a", "o2", 2, "2026-09-05")
	w.record(t, "gw-a", "o3", 3, "2026-01-01")
	w.record(t, "gw-a", "o4", 3, "2026-08-01")
	got, err := w.db.OverdueVisits(context.Background(), vis(w.people["leader-a"]), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []gridwarn.OverdueVisit{
		{CreditCode: w.ents[3], GridCode: gridAP, Key: true},
		{CreditCode: w.ents[0], GridCode: testutil.GridA, Key: true, LastVisit: "2026-11-04", Due: "2026-12-04", DaysLate: 1},
		{CreditCode: w.ents[2], GridCode: testutil.GridA, LastVisit: "2026-08-01", Due: "2026-11-01", DaysLate: 34},
	}
	if len(got) != len(want) {
		t.Fatalf("overdue: %+v", got)
	}
	for i := range want {
		g := got[i]
		g.Name, g.TownCode = "", ""
		if g != want[i] {
			t.Errorf("%d: %+v, want %+v", i, g, want[i])
		}
	}
	gw, err := w.db.OverdueVisits(context.Background(), vis(w.people["gw-ap"]), "")
	if err != nil || len(gw) != 1 || gw[0].CreditCode != w.ents[3] {
		t.Errorf("the park grid's worker: %+v %v", gw, err)
	}
}
