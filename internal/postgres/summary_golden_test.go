package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/summary"
)

var update = flag.Bool("update", false, "rewrite the golden summaries in testdata/")

// goldenWeek is the week testdata/summary-dataset.sql is about.
var goldenWeek = gridwarn.Week{Year: 2026, Week: 46}

// goldenBuiltAt is the fixed "now" of the golden summaries: the Monday
// 08:00 the scheduler builds the week at.
var goldenBuiltAt = time.Date(2026, 11, 16, 8, 0, 0, 0, isoweek.Shanghai)

// buildGolden loads testdata/summary-dataset.sql into a fresh database and
// builds the week's summary of each unit the way app.Summaries.Build does:
// Asia/Shanghai week bounds, the week before, an 8-week trend.
func buildGolden(t *testing.T, units ...gridwarn.Unit) []*gridwarn.WeeklySummary {
	t.Helper()
	return buildGoldenIn(t, MustOpenDB(t), units...)
}

// buildGoldenIn is buildGolden in db.
func buildGoldenIn(t *testing.T, db *postgres.DB, units ...gridwarn.Unit) []*gridwarn.WeeklySummary {
	t.Helper()
	ctx := context.Background()
	dataset, err := os.ReadFile(filepath.Join("testdata", "summary-dataset.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, string(dataset)); err != nil {
		t.Fatalf("load testdata/summary-dataset.sql: %v", err)
	}
	return buildGoldenWeek(t, db, units...)
}

// buildGoldenWeek builds (and saves) the golden week's summaries of units
// from what db holds.
func buildGoldenWeek(t *testing.T, db *postgres.DB, units ...gridwarn.Unit) []*gridwarn.WeeklySummary {
	t.Helper()
	ctx := context.Background()
	span := func(w gridwarn.Week) postgres.WeekSpan {
		from, to := isoweek.Bounds(w, isoweek.Shanghai)
		return postgres.WeekSpan{Week: w, ISO: isoweek.Format(w), From: from, To: to}
	}
	var trend []postgres.WeekSpan
	for _, w := range isoweek.Last(goldenWeek, 8) {
		trend = append(trend, span(w))
	}
	var out []*gridwarn.WeeklySummary
	for _, u := range units {
		s, err := db.BuildWeeklySummary(ctx, postgres.SummaryScope{Unit: u}, span(goldenWeek), span(isoweek.Previous(goldenWeek)), trend, isoweek.Shanghai.String())
		if err != nil {
			t.Fatal(err)
		}
		s.BuiltAt = goldenBuiltAt
		if _, err := db.SaveWeeklySummary(ctx, s, "golden", false); err != nil {
			t.Fatal(err)
		}
		// What is stored and served is what was built.
		stored, err := db.WeeklySummary(ctx, gridwarn.Visibility{All: true}, u.Code, s.ISO)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(jsonTree(t, s), jsonTree(t, stored)); diff != "" {
			t.Errorf("%s: the stored summary differs from the built one (-built +stored):\n%s", u.Code, diff)
		}
		out = append(out, s)
	}
	return out
}

// jsonTree is s as the API serves it, decoded into maps, slices and
// numbers, so that cmp.Diff compares every field the JSON carries.
func jsonTree(t *testing.T, s *gridwarn.WeeklySummary) any {
	t.Helper()
	var b bytes.Buffer
	if err := summary.JSON(&b, s); err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(b.Bytes(), &tree); err != nil {
		t.Fatal(err)
	}
	return tree
}

// compareGolden compares s with testdata/name field by field, or rewrites
// the file with -update. A rewritten golden must be checked by hand against
// the dataset (the comments of TestWeeklySummaryGolden say how).
func compareGolden(t *testing.T, name string, s *gridwarn.WeeklySummary) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		var b bytes.Buffer
		if err := summary.JSON(&b, s); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it, then check it by hand)", err)
	}
	var want any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if diff := cmp.Diff(want, jsonTree(t, s)); diff != "" {
		t.Errorf("%s differs (-golden +built):\n%s", path, diff)
	}
}

// The golden weekly summary of testdata/summary-dataset.sql, for the county
// and for town A, compared field by field with testdata/summary-golden*.json
// and rendered as HTML and XLSX, which must show the same key numbers. The
// dataset also holds a neighbouring county's busy week (T150), which must
// not show in 射阳县's summaries.
//
// Where the numbers come from (W46 is 2026-11-09 00:00 to 2026-11-16 00:00
// +08, W45 the week before; "T101" is ticket 101, "g-13" event g-13):
//
//   - Events: 11 occurred in W46 — g-11 (Monday 00:00:00) to g-21 (Sunday
//     23:59:59); g-10 (Sunday 23:59:59 of W45) and g-22 (Monday 00:00:00 of
//     W47) fall outside. By level: red 1 (g-13), orange 3 (g-12, g-15,
//     g-16), yellow 3 (g-14, g-17, g-18), blue 4 (g-11, g-19, g-20, g-21).
//     By category the event's own: g-16 was absorbed into T101 (wage
//     arrears) but counts as social insurance arrears (4: g-14, g-16, g-20,
//     g-21); wage arrears 4 (g-11, g-12, g-13, g-18); layoff, pay terms,
//     overtime 1 each. Town A (合德镇) 7, town B (临海镇) 4, town C none.
//     W45: 5 (g-06 orange; g-07, g-08, g-09, g-10 blue).
//   - New tickets: W46 6 (T101, T103, T106, T107, T108, T110: A 4, B 2);
//     W45 3 (T102, T105, T112).
//   - Escalated: W46 2 — T102 (the sweeper to the town and the head to the
//     county: one ticket) and T105 (the sweeper); T101's raise by the
//     engine is not an escalation. W45 1 (T104, the sweeper).
//   - Closed: W46 2 (T103, T110); T108 was merged, T112 closed at W47's
//     first instant. W45 1 (T109).
//   - Overdue at the end of the week: W46 3 (T101, T102, T104: A 2, B 1);
//     W45 1 (T104; T109 closed before the end of W45).
//   - Money and workers from the week's replies: W46 86,500.50 (T103) +
//     12,000 (T110) = 98,500.50 and 12 + 3 = 15; W45 20,000 (T105) + 30,000
//     (T109) + 5,000 (T112) = 55,000 and 5 + 8 + 2 = 15.
//   - Call-backs: W46 4 (T105 unhappy, T103, T110, T112 satisfied): 3 of 4
//     = 75.0 %; town A 1 of 2 = 50.0 %, B 2 of 2. W45 1 of 1 (T109).
//   - Time limits (clocks that breached in the week, unless stale, or
//     stopped in it as met or by the close; superseded clocks are left
//     out): enterprise 7 ended, 5 met = 71.4 % (T103 ×3 — contact met on
//     the very due instant —, T105's second accept, T106's accept met;
//     T102's resolve and T105's second contact breached, then superseded
//     by the sweeper's escalation, which does not hide the breach; T105's
//     first resolve, superseded by the reopening, and T107's accept, met
//     in W47, are out); town 9 of 9 (T102 accept, T105 accept and contact,
//     T108's three stopped by the merge, T110's three; T101's and T102's
//     superseded ones are out); county 1 of 5 = 20.0 % (T101 accept met;
//     T101 contact, T102 accept and contact, T104 resolve breached).
//   - Accept, hours from opening to each accept of the week: T106 1.33,
//     T110 1.5, T103 4, T101 15, T105 125 (after the reopening) and 172
//     (at the town), T102 174 (at the town). Seven values: median the
//     fourth, 15.0; 90th percentile h = 0.9·6 = 5.4, 172 + 0.4·(174 −
//     172) = 172.8.
//   - Resolve, opening to close: T110 34 h, T103 106 h. Median (34 + 106)/2
//     = 70.0; 90th h = 0.9, 34 + 0.9·72 = 98.8.
//   - Backlog at W47's first instant: T106 (1 h 50 min) and T107 (6 h) under
//     a day; T101 (6 d 4 h) 1–7 days; T112 (9 d 12 h, closed on that very
//     instant), T105 (11 d 14 h) and T102 (12 d 14 h) 7–15 days; T104 (26 d
//     15 h) 15–30 days; T111 (48 d 15 h, referred) over 30 days: 8 open;
//     T108 (merged) and the closed ones are not.
//   - Riskiest, by the week's highest score: E1 恒达纺织 92 red, 3 events, +3;
//     E2 海联机械 60 orange (not W45's 65), 3 events, +2 (W45 1); E4 金港建筑
//     48 yellow, 1, +1; E5 绿源农业 42 yellow, 1, −1 (W45 2); E3 临海食品 28
//     blue (not g-22's 50, in W47), 3, +1 (W45 2).
//   - Red tickets touched in the week: T101 only (T109 is red but had no
//     step in W46), with its red rules, sorted: key_enterprise (no label),
//     涉及100人以上, 集体行动或群体性事件苗头 — not the orange or blue ones.
//   - Trend W39–W46: W39 red 1 (g-03 at 00:00:00; g-02, the second before,
//     is W38), W40 yellow 1 (g-04), W43 yellow 1 (g-05), W45 orange 1 blue
//     4, W46 as above; W41, W42, W44 empty.
func TestWeeklySummaryGolden(t *testing.T) {
	county := gridwarn.Unit{Code: "320924", Kind: gridwarn.UnitCounty, NameZH: "射阳县"}
	townA := gridwarn.Unit{Code: "320924100", Kind: gridwarn.UnitTown, NameZH: "合德镇", ParentCode: "320924"}
	neighbour := gridwarn.Unit{Code: "320923", Kind: gridwarn.UnitCounty, NameZH: "阜宁县"}
	sums := buildGolden(t, county, townA, neighbour)
	s, a, n := sums[0], sums[1], sums[2]
	compareGolden(t, "summary-golden.json", s)
	compareGolden(t, "summary-golden-town.json", a)

	// The key numbers, worked out by hand above: the golden files must not
	// merely mirror what the builder returned.
	h, p := s.Headline, s.Previous
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"events", h.Events, 11},
		{"new tickets", h.NewTickets, 6},
		{"escalated", h.Escalated, 2},
		{"closed", h.Closed, 2},
		{"overdue", h.Overdue, 3},
		{"money", h.MoneyRecoveredCNY, 98500.5},
		{"workers", h.WorkersCovered, 15},
		{"call-backs", [3]any{h.CallBacks, h.Satisfied, h.SatisfactionPct}, [3]any{4, 3, 75.0}},
		{"previous", [8]any{p.Events, p.NewTickets, p.Escalated, p.Closed, p.Overdue, p.MoneyRecoveredCNY, p.WorkersCovered, p.SatisfactionPct},
			[8]any{5, 3, 1, 1, 1, 55000.0, 15, 100.0}},
		{"by level", s.ByLevel, map[gridwarn.Level]int{"red": 1, "orange": 3, "yellow": 3, "blue": 4}},
		{"by category", s.ByCat, map[gridwarn.Category]int{"wage_arrears": 4, "social_insurance_arrears": 4, "layoff": 1, "pay_terms": 1, "overtime_rest": 1}},
		{"time limits", s.TimeLimits, []gridwarn.TierLimitsMet{
			{Tier: "enterprise", Ended: 7, Met: 5, MetPct: 71.4}, {Tier: "town", Ended: 9, Met: 9, MetPct: 100}, {Tier: "county", Ended: 5, Met: 1, MetPct: 20}}},
		{"accept", s.Accept, gridwarn.Durations{Count: 7, P50: 15, P90: 172.8}},
		{"resolve", s.Resolve, gridwarn.Durations{Count: 2, P50: 70, P90: 98.8}},
		{"backlog", backlogCounts(s), []int{2, 1, 3, 1, 1}},
		{"riskiest", riskiestLines(s), []string{
			"91320924MA00001013 92 red 3 +3", "91320924MA00001026 60 orange 3 +2", "91320924MA0000104C 48 yellow 1 +1",
			"91320924MA0000105F 42 yellow 1 -1", "91320924MA00001039 28 blue 3 +1"}},
		{"red", redLines(s), []string{"101 in_progress county key_enterprise|涉及100人以上|集体行动或群体性事件苗头"}},
		{"trend", trendLines(s), []string{"2026-W39 0/0/0/1", "2026-W40 0/1/0/0", "2026-W41 0/0/0/0", "2026-W42 0/0/0/0",
			"2026-W43 0/1/0/0", "2026-W44 0/0/0/0", "2026-W45 4/0/1/0", "2026-W46 4/3/3/1"}},
		{"town lines", townLines(s), []string{
			"320924100 合德镇 events 7 new 4 esc 2 closed 1 overdue 2 money 12000 workers 3 sat 1/2 levels 1/2/3/1",
			"320924101 临海镇 events 4 new 2 esc 0 closed 1 overdue 1 money 86500.5 workers 12 sat 2/2 levels 3/1/0/0",
			"320924102 千秋镇 events 0 new 0 esc 0 closed 0 overdue 0 money 0 workers 0 sat 0/0 levels 0/0/0/0"}},
		// Town A alone: its own tickets, nothing of town B's.
		{"town A headline", a.Headline, s.Towns[0].Headline},
		{"town A previous", [4]any{a.Previous.Events, a.Previous.NewTickets, a.Previous.MoneyRecoveredCNY, a.Previous.CallBacks}, [4]any{3, 2, 20000.0, 0}},
		{"town A by level", a.ByLevel, s.Towns[0].ByLevel},
		{"town A time limits", a.TimeLimits, []gridwarn.TierLimitsMet{
			{Tier: "enterprise", Ended: 3, Met: 1, MetPct: 33.3}, {Tier: "town", Ended: 9, Met: 9, MetPct: 100}, {Tier: "county", Ended: 4, Met: 1, MetPct: 25}}},
		{"town A accept", a.Accept, gridwarn.Durations{Count: 5, P50: 125, P90: 173.2}}, // 1.5, 15, 125, 172, 174
		{"town A resolve", a.Resolve, gridwarn.Durations{Count: 1, P50: 34, P90: 34}},
		{"town A backlog", backlogCounts(a), []int{1, 1, 2, 0, 1}}, // T107; T101; T105, T102; –; T111
		{"town A riskiest", riskiestLines(a), []string{
			"91320924MA00001013 92 red 3 +3", "91320924MA00001026 60 orange 3 +2", "91320924MA0000105F 42 yellow 1 -1"}},
		{"town A towns", len(a.Towns), 0},
		{"town A trend W39–W40", trendLines(a)[:2], []string{"2026-W39 0/0/0/0", "2026-W40 0/1/0/0"}},
		// The neighbouring county's week is there, and only in its own summary.
		{"neighbour", [8]any{n.Headline.Events, n.Headline.NewTickets, n.Headline.Escalated, n.Headline.Closed, n.Headline.Overdue,
			n.Headline.MoneyRecoveredCNY, n.Headline.CallBacks, len(n.Red)}, [8]any{2, 1, 1, 1, 0, 999999.0, 1, 1}}, // closed before the week ended: not overdue
		{"neighbour riskiest", riskiestLines(n), []string{"91320923MA00009991 99 red 2 +2"}},
		{"neighbour time limits", n.TimeLimits[2], gridwarn.TierLimitsMet{Tier: "county", Ended: 2, Met: 1, MetPct: 50}},
	} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}

	checkGoldenHTML(t, s)
	checkGoldenXLSX(t, s)
}

func backlogCounts(s *gridwarn.WeeklySummary) []int {
	var out []int
	for _, b := range s.Backlog {
		out = append(out, b.Count)
	}
	return out
}

func riskiestLines(s *gridwarn.WeeklySummary) []string {
	var out []string
	for _, e := range s.Riskiest {
		out = append(out, e.CreditCode+" "+strconv.Itoa(e.Score)+" "+string(e.Level)+" "+strconv.Itoa(e.Events)+" "+signed(e.Trend))
	}
	return out
}

func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func redLines(s *gridwarn.WeeklySummary) []string {
	var out []string
	for _, r := range s.Red {
		out = append(out, strconv.FormatInt(r.TicketID, 10)+" "+string(r.Status)+" "+string(r.Tier)+" "+strings.Join(r.Rules, "|"))
	}
	return out
}

// trendLines is each trend week as "ISO blue/yellow/orange/red".
func trendLines(s *gridwarn.WeeklySummary) []string {
	var out []string
	for _, w := range s.Trend {
		out = append(out, w.ISO+" "+levelCounts(w.ByLevel))
	}
	return out
}

func levelCounts(m map[gridwarn.Level]int) string {
	var parts []string
	for _, l := range gridwarn.Levels {
		parts = append(parts, strconv.Itoa(m[l]))
	}
	return strings.Join(parts, "/")
}

func townLines(s *gridwarn.WeeklySummary) []string {
	var out []string
	for _, tl := range s.Towns {
		h := tl.Headline
		out = append(out, strings.Join([]string{tl.TownCode, tl.TownName,
			"events", strconv.Itoa(h.Events), "new", strconv.Itoa(h.NewTickets), "esc", strconv.Itoa(h.Escalated),
			"closed", strconv.Itoa(h.Closed), "overdue", strconv.Itoa(h.Overdue),
			"money", strconv.FormatFloat(h.MoneyRecoveredCNY, 'f', -1, 64), "workers", strconv.Itoa(h.WorkersCovered),
			"sat", strconv.Itoa(h.Satisfied) + "/" + strconv.Itoa(h.CallBacks), "levels", levelCounts(tl.ByLevel)}, " "))
	}
	return out
}

// checkGoldenHTML: the page a leader reads shows the key numbers.
func checkGoldenHTML(t *testing.T, s *gridwarn.WeeklySummary) {
	t.Helper()
	var b bytes.Buffer
	if err := summary.HTML(&b, s, "zh"); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<title>射阳县 劳动关系风险周报 2026-W46</title>",
		"2026-11-09 至 2026-11-15",
		"2026-11-16 08:00",
		`<div class="k">事件数</div><div class="v">11</div><div class="d"><span class="worse">▲ 6</span><span class="prev">（上周 5）</span>`,
		`<div class="k">新增工单</div><div class="v">6</div>`,
		`<div class="k">上提工单</div><div class="v">2</div>`,
		`<div class="k">办结工单</div><div class="v">2</div>`,
		`<div class="k">逾期工单</div><div class="v">3</div>`,
		`<div class="v">98,500.50</div>`, "（上周 55,000.00）",
		`<div class="v">75.0</div>`,
		// Levels total, durations, time limits.
		`<th class="n">11</th>`,
		`<td>签收用时</td><td class="n">7</td><td class="n">15.0</td><td class="n">172.8</td>`,
		`<td class="n">2</td><td class="n">70.0</td><td class="n">98.8</td>`,
		`<td class="n">7</td><td class="n">5</td><td class="n">71.4</td>`,
		`<td class="n">5</td><td class="n">1</td><td class="n">20.0</td>`,
		// Riskiest, red ticket and its rules, towns.
		"射阳县恒达纺织有限公司", "91320924MA00001013", `<td class="n">92</td>`,
		"<li>涉及100人以上</li>", "<li>集体行动或群体性事件苗头</li>", "<li>key_enterprise</li>",
		"合德镇", "临海镇", "千秋镇",
		`<title>2026-W46 红 紧急: 1</title>`, `<title>2026-W39 红 紧急: 1</title>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(page, "<li>涉及30人以上</li>") || strings.Contains(page, "<li>欠薪</li>") {
		t.Error("HTML lists a rule that did not fire red as why a red ticket fired")
	}
}

// checkGoldenXLSX: the workbook's cells hold the key numbers, as numbers.
func checkGoldenXLSX(t *testing.T, s *gridwarn.WeeklySummary) {
	t.Helper()
	var b bytes.Buffer
	if err := summary.XLSX(&b, s, "zh"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := summary.Labels("zh")
	// row finds the row whose first cell is label.
	row := func(sheet, label string) []string {
		t.Helper()
		rows, err := f.GetRows(l["sheet."+sheet], excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(rows, func(r []string) bool { return len(r) > 0 && r[0] == label })
		if i < 0 {
			t.Fatalf("sheet %s has no row %q", sheet, label)
		}
		return rows[i]
	}
	num := func(where string, r []string, col int, want float64) {
		t.Helper()
		if col >= len(r) {
			t.Errorf("%s: no column %d in %q", where, col, r)
			return
		}
		got, err := strconv.ParseFloat(r[col], 64)
		if err != nil || got != want {
			t.Errorf("%s: %q; want %v", where, r[col], want)
		}
	}
	num("events this week", row("headline", l["metric.events"]), 1, 11)
	num("events last week", row("headline", l["metric.events"]), 2, 5)
	num("events change", row("headline", l["metric.events"]), 3, 6)
	num("escalated", row("headline", l["metric.escalated"]), 1, 2)
	num("overdue", row("headline", l["metric.overdue"]), 1, 3)
	num("money", row("headline", l["metric.money_recovered_cny"]), 1, 98500.5)
	num("money last week", row("headline", l["metric.money_recovered_cny"]), 2, 55000)
	num("satisfaction", row("headline", l["metric.satisfaction_pct"]), 1, 75)
	num("red events", row("levels", l["level.red"]), 1, 1)
	num("events total", row("levels", l["col.total"]), 1, 11)
	num("social insurance events", row("categories", l["category.social_insurance_arrears"]), 1, 4)
	num("accept median", row("durations", l["dur.accept"]), 2, 15)
	num("accept p90", row("durations", l["dur.accept"]), 3, 172.8)
	num("resolve median", row("durations", l["dur.resolve"]), 2, 70)
	num("enterprise limits met", row("time_limits", l["tier.enterprise"]), 3, 71.4)
	num("county limits met", row("time_limits", l["tier.county"]), 3, 20)
	num("backlog", row("backlog", l["col.total"]), 1, 8)
	num("7–15 days", row("backlog", l["age.7–15 days"]), 1, 3)
	town := row("towns", "320924100")
	num("town A events", town, 2+len(gridwarn.Levels), 11-4)
	risk := row("riskiest", "1")
	if risk[1] != "91320924MA00001013" || risk[2] != "射阳县恒达纺织有限公司" {
		t.Errorf("riskiest first row %q", risk)
	}
	num("riskiest score", risk, 4, 92)
	num("riskiest trend", row("riskiest", "4"), 7, -1)
	red := row("red", "101")
	if !strings.Contains(red[len(red)-1], "涉及100人以上") {
		t.Errorf("red ticket row %q lacks its rule", red)
	}
	num("trend W46 red", row("trend", "2026-W46"), 4, 1)
	num("trend W46 total", row("trend", "2026-W46"), 5, 11)
}

// TestWeeklySummaryGoldenFromBacklogSnapshots: once the backlog job has
// taken its snapshots (migration 00040), the summaries read the backlog and
// the overdue counts at the weeks' ends from them, and they are the golden
// ones worked out by hand; a ticket written into the past after a snapshot
// makes it stale, and the summary counts from the tickets again.
func TestWeeklySummaryGoldenFromBacklogSnapshots(t *testing.T) {
	ctx := context.Background()
	county := gridwarn.Unit{Code: "320924", Kind: gridwarn.UnitCounty, NameZH: "射阳县"}
	townA := gridwarn.Unit{Code: "320924100", Kind: gridwarn.UnitTown, NameZH: "合德镇", ParentCode: "320924"}
	neighbour := gridwarn.Unit{Code: "320923", Kind: gridwarn.UnitCounty, NameZH: "阜宁县"}
	db := MustOpenDB(t)
	counted := buildGoldenIn(t, db, county, townA, neighbour)

	// The job at the Monday 08:00 the week is built: the eight midnights
	// from the end of the week before to the end of the week.
	n, err := db.SnapshotBacklog(ctx, isoweek.Shanghai, goldenBuiltAt, 8)
	if err != nil || n != 8 {
		t.Fatalf("SnapshotBacklog = %d, %v; want 8 snapshots", n, err)
	}
	if n, err := db.SnapshotBacklog(ctx, isoweek.Shanghai, goldenBuiltAt, 8); err != nil || n != 0 {
		t.Fatalf("SnapshotBacklog again = %d, %v; want none (each midnight once)", n, err)
	}
	// The snapshot is what is read: make the tickets' own counts differ
	// from it (a ticket of the county, town A, reopened after the snapshot
	// was taken, closed before the week ended) and the summary must
	// not see the change.
	var reopened int64
	if err := db.Pool().QueryRow(ctx, `
UPDATE tickets SET closed_at = NULL, status = 'in_progress'
WHERE id = (SELECT id FROM tickets WHERE county_code = '320924' AND town_code = '320924100' AND closed_at < '2026-11-16 00:00+08'
            ORDER BY id LIMIT 1)
RETURNING id`).Scan(&reopened); err != nil {
		t.Fatalf("no ticket of town A closed before the week ended: %v", err)
	}
	dropSummaries := func() {
		if _, err := db.Pool().Exec(ctx, `DELETE FROM weekly_summaries`); err != nil {
			t.Fatal(err)
		}
	}
	dropSummaries()
	snapped := buildGoldenWeek(t, db, county, townA, neighbour)
	for i, u := range []gridwarn.Unit{county, townA, neighbour} {
		if diff := cmp.Diff(jsonTree(t, counted[i]), jsonTree(t, snapped[i])); diff != "" {
			t.Errorf("%s: the summary from the snapshots differs from the one counted from the tickets (-counted +snapshots):\n%s", u.Code, diff)
		}
	}
	compareGolden(t, "summary-golden.json", snapped[0])
	compareGolden(t, "summary-golden-town.json", snapped[1])
	if got := backlogCounts(snapped[0]); !slices.Equal(got, []int{2, 1, 3, 1, 1}) {
		t.Errorf("backlog from the snapshots = %v, want the hand-worked [2 1 3 1 1]", got)
	}

	// A ticket opened before the week ended but stored after the snapshot
	// (a history replayed into the past): the snapshot is stale, the
	// summary counts from the tickets, and sees it (and the reopened one).
	if _, err := db.Pool().Exec(ctx, `
INSERT INTO tickets (enterprise, category, level, tier, status, event_count, first_event_at, last_event_at,
                     opened_at, updated_at, rules_version, county_code, town_code, grid_code)
VALUES ('91320924MA00001013', 'layoff', 'blue', 'enterprise', 'new', 1, '2026-11-15 20:00+08', '2026-11-15 20:00+08',
        '2026-11-15 20:00+08', '2026-11-15 20:00+08', 'golden', '320924', '320924100', '320924100-J01')`); err != nil {
		t.Fatal(err)
	}
	dropSummaries()
	late := buildGoldenWeek(t, db, county)
	if got := backlogCounts(late[0]); got[0] < 3 || got[0]+got[1]+got[2]+got[3]+got[4] != 10 {
		t.Errorf("backlog with a ticket stored late = %v, want the late one under a day old and the reopened one too (10 in all)", got)
	}
}
