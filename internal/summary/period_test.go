package summary

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func periodFixture(t *testing.T, kind gridwarn.PeriodKind, key string) *gridwarn.PeriodReport {
	share, yes := 0.5, false
	progress := 0.25
	return &gridwarn.PeriodReport{Kind: kind, Period: key, UnitCode: "320924", UnitName: "射阳县", Revision: 2,
		BuiltAt: time.Date(2026, 10, 1, 0, 30, 0, 0, time.UTC), Summary: fixture(t),
		RisingCategories: []gridwarn.Change{{Key: "wage_arrears", Now: 9, Before: 4}},
		RisingTowns:      []gridwarn.Change{{Key: "320924101", Name: "合德镇", Now: 7, Before: 2}},
		StayedRed:        []gridwarn.StayedRed{{Enterprise: "91320924MA1XXXXXX1", Name: "=HYPERLINK(\"x\")", TicketIDs: []int64{4, 9}}},
		Coverage: gridwarn.Coverage{Enterprises: 10, Visited: 5, Share: &share, Met: &yes,
			Target: gridwarn.CoverageTarget{Enterprises: 0.95, KeyEnterprises: 1}},
		Unionization: &gridwarn.CircularTown{UnitCode: "320924", UnitName: "射阳县", Listed: 12, YearList: 8, YearDone: 2,
			Progress: &progress, Target: 0.6},
	}
}

func TestPeriodRenderers(t *testing.T) {
	for _, c := range []struct {
		kind       gridwarn.PeriodKind
		key, title string
	}{{gridwarn.PeriodMonth, "2026-09", "劳动关系风险月度推送"}, {gridwarn.PeriodQuarter, "2026-Q3", "劳动关系风险季度研判"}} {
		r := periodFixture(t, c.kind, c.key)
		var h bytes.Buffer
		if err := PeriodHTML(&h, r, "zh"); err != nil {
			t.Fatal(err)
		}
		page := h.String()
		for _, want := range []string{c.title + " " + c.key, `id="year-ago"`, `id="coverage"`, `id="stayed-red"`, "合德镇",
			"=HYPERLINK(&#34;x&#34;)", "50.0", "95"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s HTML lacks %q", c.key, want)
			}
		}
		if strings.Contains(page, "本周") {
			t.Errorf("%s HTML speaks of this week", c.key)
		}
		var x bytes.Buffer
		if err := PeriodXLSX(&x, r, "en"); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&x)
		if err != nil {
			t.Fatal(err)
		}
		sheets := f.GetSheetList()
		for _, k := range append(slices.Clone(Sections), PeriodSections...) {
			if !slices.Contains(sheets, catalogue["en"]["sheet."+k]) {
				t.Errorf("%s XLSX lacks sheet %s: %q", c.key, k, sheets)
			}
		}
		// Every text cell goes through the defuser.
		if v, _ := f.GetCellValue(catalogue["en"]["sheet.stayed_red"], "B2"); v != `'=HYPERLINK("x")` {
			t.Errorf("stayed red B2 = %q; want it defused", v)
		}
		var cs bytes.Buffer
		if err := PeriodCSV(&cs, r, "zh"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(cs.String(), `'=HYPERLINK(""x"")`) {
			t.Errorf("CSV does not defuse the name")
		}
	}
	if err := PeriodHTML(&bytes.Buffer{}, nil, "zh"); err == nil {
		t.Error("nil report rendered")
	}
}

func TestCircularRenderers(t *testing.T) {
	progress := 0.5
	item := gridwarn.CircularItem{UnionizationItem: gridwarn.UnionizationItem{CreditCode: "91320924MA1XXXXXX1",
		Name: "+cmd|' /C calc'!A0", TownCode: "320924101", Headcount: 130, Reason: gridwarn.ReasonNoUnion, HundredPlus: true},
		ListedSince: "2026-01"}
	town := gridwarn.CircularTown{UnitCode: "320924101", UnitName: "合德镇", Listed: 1, NewlyListed: 1, YearList: 2, YearDone: 1,
		Progress: &progress, Target: 0.6, Longest: []gridwarn.CircularItem{item}}
	c := &gridwarn.UnionCircular{UnitCode: "320924", UnitName: "射阳县", Period: "2026-11", Revision: 1,
		BuiltAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Totals: town, Towns: []gridwarn.CircularTown{town},
		Items: []gridwarn.CircularItem{item}}
	c.Totals.UnitCode, c.Totals.UnitName = "320924", "射阳县"
	var h bytes.Buffer
	if err := CircularHTML(&h, c, "zh"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"射阳县 建会工作月通报 2026-11", `id="circ-towns"`, "合德镇", "50.0", "满一年25人以上未建会",
		"&#43;cmd|&#39; /C calc&#39;!A0"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("circular HTML lacks %q", want)
		}
	}
	var x bytes.Buffer
	if err := CircularXLSX(&x, c, "zh"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range CircularSections {
		want = append(want, catalogue["zh"]["sheet."+k])
	}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Errorf("sheets %q; want %q", got, want)
	}
	if v, _ := f.GetCellValue(want[2], "B2"); v != "'+cmd|' /C calc'!A0" {
		t.Errorf("list B2 = %q; want it defused", v)
	}
	if v, _ := f.GetCellValue(want[0], "B3"); v != "合计" {
		t.Errorf("totals line B3 = %q", v)
	}
	var q bytes.Buffer
	c.Period = "2026-Q4"
	if err := CircularHTML(&q, c, "en"); err != nil || !strings.Contains(q.String(), "Unionization quarterly summary 2026-Q4") {
		t.Errorf("quarter title: %v", err)
	}
}
