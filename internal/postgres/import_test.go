package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// The demo county as CSV files, and a database that holds its units only.
func demoCSV(t *testing.T) (ents, grids, users string, db *postgres.DB) {
	t.Helper()
	d := demo.County(gridwarn.DefaultIndependentThreshold)
	var e, g, u bytes.Buffer
	if err := csvio.WriteEnterprises(&e, d.Enterprises); err != nil {
		t.Fatal(err)
	}
	if err := csvio.WriteGrids(&g, d.Grids); err != nil {
		t.Fatal(err)
	}
	if err := csvio.WriteUsers(&u, d.Users); err != nil {
		t.Fatal(err)
	}
	db = MustOpenDB(t)
	if err := db.LoadTerritory(context.Background(), postgres.Territory{Units: append([]gridwarn.Unit{d.County}, d.Towns...)}); err != nil {
		t.Fatal(err)
	}
	return e.String(), g.String(), u.String(), db
}

func TestImportTheDemoCountyFromCSV(t *testing.T) {
	ents, grids, users, db := demoCSV(t)
	ctx := context.Background()
	all := gridwarn.Visibility{All: true}

	gs, err := csvio.ReadGrids(strings.NewReader(grids))
	if err != nil {
		t.Fatal(err)
	}
	// Grids first (without workers: the people do not exist yet), then
	// people, then the grids again with their workers, then enterprises.
	noWorkers := make([]gridwarn.Grid, len(gs))
	for i, g := range gs {
		g.Workers = nil
		noWorkers[i] = g
	}
	if res, err := db.ImportGrids(ctx, all, noWorkers, false); err != nil || res.Created != 93 {
		t.Fatalf("grids: %+v, %v; want 93 created", res, err)
	}
	us, err := csvio.ReadUsers(strings.NewReader(users))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := db.ImportUsers(ctx, all, us, false); err != nil || res.Created != len(us) {
		t.Fatalf("users: %+v, %v; want %d created", res, err, len(us))
	}
	if res, err := db.ImportUsers(ctx, all, us, false); err != nil || res.Unchanged != len(us) {
		t.Fatalf("users again: %+v, %v; want all unchanged", res, err)
	}

	es, err := csvio.ReadEnterprises(strings.NewReader(ents))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 539 {
		t.Fatalf("the file has %d rows, want 539", len(es))
	}
	if res, err := db.ImportEnterprises(ctx, all, es, true); err != nil || res.Created != 539 || !res.DryRun {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if n := count(t, db, "SELECT count(*) FROM enterprises"); n != 0 {
		t.Fatalf("a dry run stored %d enterprises", n)
	}
	if res, err := db.ImportEnterprises(ctx, all, es, false); err != nil || res.Created != 539 {
		t.Fatalf("import: %+v, %v; want 539 created", res, err)
	}
	if res, err := db.ImportEnterprises(ctx, all, es, false); err != nil || res.Unchanged != 539 || res.Created+res.Updated != 0 {
		t.Fatalf("re-import: %+v, %v; want nothing changed", res, err)
	}

	// Chinese headers read the same file.
	zh := strings.Replace(ents, strings.SplitN(ents, "\n", 2)[0],
		"统一社会信用代码,企业名称,行业代码,所有制,职工人数,是否建会,是否有调解委员会,合规等级,注册资本,重点企业,镇街代码,网格编码,村（社区）", 1)
	zhRows, err := csvio.ReadEnterprises(strings.NewReader(zh))
	if err != nil {
		t.Fatalf("Chinese headers: %v", err)
	}
	if res, err := db.ImportEnterprises(ctx, all, zhRows, false); err != nil || res.Unchanged != 539 {
		t.Fatalf("Chinese headers import: %+v, %v; want all unchanged", res, err)
	}
}

func count(t *testing.T, db *postgres.DB, q string) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A file with 3 bad rows reports exactly those rows and changes nothing.
func TestImportWithBadRowsChangesNothing(t *testing.T) {
	ents, _, _, _ := demoCSV(t)
	lines := strings.Split(strings.TrimSpace(ents), "\n")
	// Break lines 3, 10 and 200 (line 1 is the header): a wrong check
	// character, a negative headcount, an unknown compliance grade.
	lines[2] = breakField(t, lines[2], 0, func(s string) string { return s[:17] + flip(s[17]) })
	lines[9] = breakField(t, lines[9], 4, func(string) string { return "-5" })
	lines[199] = breakField(t, lines[199], 7, func(string) string { return "Z" })
	_, err := csvio.ReadEnterprises(strings.NewReader(strings.Join(lines, "\n")))
	var rows csvio.Errors
	if !errors.As(err, &rows) {
		t.Fatalf("err = %v, want row errors", err)
	}
	got := map[int]bool{}
	for _, r := range rows {
		got[r.Line] = true
	}
	if len(got) != 3 || !got[3] || !got[10] || !got[200] {
		t.Errorf("row errors on lines %v, want exactly 3, 10 and 200: %v", got, err)
	}
}

func breakField(t *testing.T, line string, i int, f func(string) string) string {
	t.Helper()
	fs := strings.Split(line, ",")
	if i >= len(fs) {
		t.Fatalf("line %q has no field %d", line, i)
	}
	fs[i] = f(fs[i])
	return strings.Join(fs, ",")
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// An enterprise imported without a grid is placed by the rule.
func TestImportPlacesEnterprisesWithoutAGrid(t *testing.T) {
	_, grids, _, db := demoCSV(t)
	ctx := context.Background()
	all := gridwarn.Visibility{All: true}
	gs, _ := csvio.ReadGrids(strings.NewReader(grids))
	for i := range gs {
		gs[i].Workers = nil
	}
	if _, err := db.ImportGrids(ctx, all, gs, false); err != nil {
		t.Fatal(err)
	}
	code := func(n int) string {
		first := "91320924MA9" + strings.Repeat("0", 5) + string(rune('0'+n))
		c, _ := gridwarn.CreditCodeCheckChar(first)
		return first + string(c)
	}
	es := []gridwarn.Enterprise{
		{CreditCode: code(1), Name: "大厂", IndustryCode: "C17", Headcount: 250, TownCode: "320924100"},
		{CreditCode: code(2), Name: "小厂", IndustryCode: "C17", Headcount: 20, TownCode: "320924100"},
		{CreditCode: code(3), Name: "园区厂", IndustryCode: "C17", Headcount: 900, TownCode: "320924400"},
		{CreditCode: code(4), Name: "新行业", IndustryCode: "R90", Headcount: 20, TownCode: "320924100"},
	}
	if _, err := db.ImportEnterprises(ctx, all, es, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		n    int
		kind gridwarn.GridKind
	}{{1, gridwarn.GridIndependent}, {2, gridwarn.GridJoint}, {3, gridwarn.GridPark}, {4, gridwarn.GridJoint}} {
		e, err := db.Enterprise(ctx, all, code(c.n))
		if err != nil {
			t.Fatal(err)
		}
		g, err := db.Grid(ctx, all, e.GridCode)
		if err != nil || g.Kind != c.kind || g.TownCode != e.TownCode {
			t.Errorf("enterprise %d placed in %+v (%v), want a %s grid of its town", c.n, g, err, c.kind)
		}
		if c.n == 4 && g.Industry != "R" {
			t.Errorf("a new industry gets a new joint grid of that section, got %+v", g)
		}
	}
	// Importing again keeps every enterprise where it is.
	if res, err := db.ImportEnterprises(ctx, all, es, false); err != nil || res.Updated != 0 {
		t.Errorf("re-import: %+v, %v; want nothing moved", res, err)
	}
}
