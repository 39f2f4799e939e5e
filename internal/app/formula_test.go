package app_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// Text a spreadsheet would run as a formula is refused on every path that
// writes an enterprise (API PUT, console edit, import), also after spaces
// or a tab; what is already stored leaves every export defused.
func TestNoSpreadsheetFormulas(t *testing.T) {
	a := MustRunApp(t)
	db := a.DB()
	county := testutil.MustSeedDemoCounty(t, db)
	w := &world{a: a, county: county, tokens: map[string]string{"admin": testutil.MustToken(t, db, "admin")}}
	e := county.Enterprises[0]
	formulas := []string{`=HYPERLINK("http://evil","x")`, "+1+2", "-1+2", "@SUM(1)", " =1+2", "\t=1+2", "  @A1"}

	for _, name := range formulas {
		body := map[string]any{"name": name, "industry_code": e.IndustryCode, "ownership": e.Ownership, "headcount": e.Headcount,
			"compliance_grade": e.ComplianceGrade, "town_code": e.TownCode, "grid_code": e.GridCode}
		if code, out := w.do(t, "admin", "PUT", "/api/v1/enterprises/"+e.CreditCode, body); code != http.StatusBadRequest ||
			!strings.Contains(string(out), `"field":"name"`) {
			t.Errorf("PUT name %q: %d %s, want 400 naming the name", name, code, out)
		}
		csvBody := "credit_code,name,town_code,grid_code\n" + e.CreditCode + `,"` + name + `",` + e.TownCode + "," + e.GridCode + "\n"
		if code, out := w.do(t, "admin", "POST", "/api/v1/enterprises/import", csvBody); code != http.StatusBadRequest {
			t.Errorf("import name %q: %d %s, want 400", name, code, out)
		}
	}
	ui := signIn(t, a, "admin")
	ui.get("/ui/admin/enterprises/" + e.CreditCode)
	for _, name := range formulas {
		f := enterpriseForm(e)
		f.Set("name", name)
		if code, body := ui.post("/ui/admin/enterprises/"+e.CreditCode, f); code != http.StatusBadRequest {
			t.Errorf("console name %q: %d %.200s, want 400", name, code, body)
		}
	}
	got, err := db.Enterprise(context.Background(), gridwarn.Visibility{All: true}, e.CreditCode)
	if err != nil || got.Name != e.Name {
		t.Fatalf("stored name %q (%v), want %q unchanged", got.Name, err, e.Name)
	}

	// A name stored before the rule (written straight to the database)
	// comes out of every export defused.
	if _, err := db.Pool().Exec(context.Background(), "UPDATE enterprises SET name = $2 WHERE credit_code = $1", e.CreditCode, formulas[0]); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/enterprises/export"} {
		code, out := w.do(t, "admin", "GET", path, nil)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, code, out)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(out), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range recs {
			if r[0] == e.CreditCode {
				found = true
				if r[1] != "'"+formulas[0] {
					t.Errorf("%s writes the name %q, want it defused as %q", path, r[1], "'"+formulas[0])
				}
			}
		}
		if !found {
			t.Errorf("%s lacks %s", path, e.CreditCode)
		}
	}
	code, page := ui.get("/ui/admin/enterprises/export")
	if code != http.StatusOK || strings.Contains(page, ","+formulas[0][:2]) || strings.Contains(page, `,"`+formulas[0][:2]) {
		t.Errorf("console export: %d, the formula is not defused: %.300s", code, page)
	}
}

// The import's rule holds for every other free text the registry and the
// people store and the exports write: a unit's names, a grid's name and a
// person's display name, over the API.
func TestNoSpreadsheetFormulasInOtherText(t *testing.T) {
	a := MustRunApp(t)
	db := a.DB()
	county := testutil.MustSeedDemoCounty(t, db)
	w := &world{a: a, county: county, tokens: map[string]string{"admin": testutil.MustToken(t, db, "admin")}}
	g := county.Grids[0]
	town := g.TownCode
	var townType gridwarn.TownType
	for _, u := range county.Towns {
		if u.Code == town {
			townType = u.TownType
		}
	}
	for _, bad := range []string{"=1+2", " @SUM(1)", "\t+1"} {
		cases := []struct {
			method, path, field string
			body                map[string]any
		}{
			{"PUT", "/api/v1/units/" + town, "name_zh", map[string]any{"kind": "town", "town_type": townType, "parent_code": county.County.Code, "name_zh": bad, "name_en": "Town"}},
			{"PUT", "/api/v1/units/" + town, "name_en", map[string]any{"kind": "town", "town_type": townType, "parent_code": county.County.Code, "name_zh": "镇", "name_en": bad}},
			{"PUT", "/api/v1/grids/" + g.Code, "name", map[string]any{"town_code": g.TownCode, "kind": g.Kind, "name": bad, "industry": g.Industry}},
			{"POST", "/api/v1/users", "display_name", map[string]any{"username": "formula-person", "display_name": bad, "role": "leader",
				"scope": map[string]any{"kind": "county", "unit_code": county.County.Code}}},
		}
		for _, c := range cases {
			code, out := w.do(t, "admin", c.method, c.path, c.body)
			if code != http.StatusBadRequest || !strings.Contains(string(out), `"field":"`+c.field+`"`) {
				t.Errorf("%s %s %s=%q: %d %s, want 400 naming %s", c.method, c.path, c.field, bad, code, out, c.field)
			}
		}
	}
	got, err := db.Grid(context.Background(), gridwarn.Visibility{All: true}, g.Code)
	if err != nil || got.Name != g.Name {
		t.Fatalf("stored grid name %q (%v), want %q unchanged", got.Name, err, g.Name)
	}
}
