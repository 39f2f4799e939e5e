package summary

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func fixture(t *testing.T) *gridwarn.WeeklySummary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s gridwarn.WeeklySummary
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("testdata/summary.json: %v", err)
	}
	return &s
}

// emptySummary is a week without a single event: zero counts, empty lists.
func emptySummary() *gridwarn.WeeklySummary {
	w := wk(2026, 47)
	from, to := isoweek.Bounds(w, isoweek.Shanghai)
	s := &gridwarn.WeeklySummary{
		Week: w, ISO: isoweek.Format(w), UnitCode: "320924", UnitName: "射阳县", From: from, To: to,
		TimeZone: isoweek.DefaultTimeZone, BuiltAt: to.Add(6 * time.Hour), Revision: 1,
		ByLevel: map[gridwarn.Level]int{}, ByCat: map[gridwarn.Category]int{},
		Towns: []gridwarn.TownLine{}, TimeLimits: []gridwarn.TierLimitsMet{}, Backlog: []gridwarn.AgeBucket{},
		Riskiest: []gridwarn.RiskyEnterprise{}, Red: []gridwarn.RedTicket{},
	}
	for _, x := range isoweek.Last(w, 8) {
		s.Trend = append(s.Trend, gridwarn.WeekLevels{ISO: isoweek.Format(x), ByLevel: map[gridwarn.Level]int{}})
	}
	return s
}

type renderer func(w *bytes.Buffer, s *gridwarn.WeeklySummary, lang string) error

var renderers = map[string]renderer{
	"json": func(w *bytes.Buffer, s *gridwarn.WeeklySummary, _ string) error { return JSON(w, s) },
	"csv":  func(w *bytes.Buffer, s *gridwarn.WeeklySummary, l string) error { return CSV(w, s, l) },
	"html": func(w *bytes.Buffer, s *gridwarn.WeeklySummary, l string) error { return HTML(w, s, l) },
	"xlsx": func(w *bytes.Buffer, s *gridwarn.WeeklySummary, l string) error { return XLSX(w, s, l) },
}

func render(t *testing.T, format string, s *gridwarn.WeeklySummary, lang string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := renderers[format](&b, s, lang); err != nil {
		t.Fatalf("%s (%s): %v", format, lang, err)
	}
	return b.Bytes()
}

// TestFixture keeps the fixture plausible: its numbers add up.
func TestFixture(t *testing.T) {
	s := fixture(t)
	w, err := isoweek.Parse(s.ISO)
	if err != nil || w != s.Week {
		t.Fatalf("iso %q, week %v: %v", s.ISO, s.Week, err)
	}
	from, to := isoweek.Bounds(w, isoweek.Shanghai)
	if !from.Equal(s.From) || !to.Equal(s.To) {
		t.Errorf("from %v to %v; want %v, %v", s.From, s.To, from, to)
	}
	events := sumLevels(s.ByLevel)
	cats := 0
	for _, n := range s.ByCat {
		cats += n
	}
	var towns gridwarn.Headline
	townLevels := 0
	for _, tl := range s.Towns {
		towns.Events += tl.Headline.Events
		towns.NewTickets += tl.Headline.NewTickets
		towns.Closed += tl.Headline.Closed
		towns.MoneyRecoveredCNY += tl.Headline.MoneyRecoveredCNY
		townLevels += sumLevels(tl.ByLevel)
	}
	if events != s.Headline.Events || cats != events || towns.Events != events || townLevels != events ||
		towns.NewTickets != s.Headline.NewTickets || towns.Closed != s.Headline.Closed ||
		towns.MoneyRecoveredCNY != s.Headline.MoneyRecoveredCNY {
		t.Errorf("counts disagree: levels %d, categories %d, towns %+v, headline %+v", events, cats, towns, s.Headline)
	}
	if len(s.Towns) != 2 || len(s.Red) != 5 || len(s.Trend) != 8 || len(s.Riskiest) != 10 {
		t.Errorf("towns %d, red %d, trend %d, riskiest %d", len(s.Towns), len(s.Red), len(s.Trend), len(s.Riskiest))
	}
	var trend []string
	for _, x := range s.Trend {
		trend = append(trend, x.ISO)
	}
	if !slices.Equal(trend, isos(isoweek.Last(w, 8))) {
		t.Errorf("trend weeks %v", trend)
	}
	if !reflect.DeepEqual(s.Trend[7].ByLevel, s.ByLevel) || sumLevels(s.Trend[6].ByLevel) != s.Previous.Events {
		t.Error("trend disagrees with this week or the week before")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := fixture(t)
	b := render(t, "json", s, "")
	var back gridwarn.WeeklySummary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, s) {
		t.Errorf("round trip differs:\n%s", b)
	}
	if !bytes.Contains(b, []byte("\n  \"iso\": \"2026-W47\",\n")) {
		t.Errorf("not indented:\n%.200s", b)
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got %q\nwant %q\n(run go test -update if the change is intended)", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: %d lines, want %d (run go test -update if intended)", name, len(gl), len(wl))
	}
}

func TestGolden(t *testing.T) {
	s := fixture(t)
	golden(t, "summary.html", render(t, "html", s, "zh"))
	golden(t, "summary.csv", render(t, "csv", s, "zh"))
}

func TestDeterministic(t *testing.T) {
	s := fixture(t)
	for format := range renderers {
		for _, lang := range Languages {
			a, b := render(t, format, s, lang), render(t, format, s, lang)
			if !bytes.Equal(a, b) {
				t.Errorf("%s (%s): two renders differ", format, lang)
			}
		}
	}
}

func TestHTML(t *testing.T) {
	s := fixture(t)
	h := string(render(t, "html", s, "zh"))
	for _, want := range []string{
		`<html lang="zh-CN">`,
		"<title>射阳县 劳动关系风险周报 2026-W47</title>",
		"2026-11-16 至 2026-11-22",
		"2026-11-23 06:30",
		// Headline numbers with the week-over-week change.
		`<div class="k">事件数</div><div class="v">30</div><div class="d"><span class="worse">▲ 6</span><span class="prev">（上周 24）</span>`,
		`<div class="k">办结工单</div><div class="v">15</div><div class="d"><span class="worse">▼ 2</span><span class="prev">（上周 17）</span>`,
		`<div class="k">逾期工单</div><div class="v">3</div><div class="d"><span class="better">▼ 2</span><span class="prev">（上周 5）</span>`,
		`<div class="v">1,286,500.00</div>`,
		`（上周 842,000.00）`,
		`<div class="v">91.7</div>`,
		// Levels, durations, time limits.
		"蓝 关注", "黄 预警", "橙 严重", "红 紧急", `<th class="n">30</th>`,
		"<td>签收用时</td><td class=\"n\">18</td><td class=\"n\">3.5</td><td class=\"n\">20.2</td>",
		"<td>县</td><td class=\"n\">5</td><td class=\"n\">5</td><td class=\"n\">100.0</td>",
		// Charts: inline SVG with the level colours and the category bars.
		`<svg class="chart"`, `fill="#2b6cb0"`, `fill="#d69e2e"`, `fill="#dd6b20"`, `fill="#c53030"`,
		`<title>2026-W47 红 紧急: 3</title>`, `<title>拖欠工资: 11</title>`, `>2026-W40</text>`,
		// Towns shaded by count: 合德镇 blue 8 is the largest count.
		"合德镇", "临海镇", `style="background:#2b6cb0;color:#ffffff">8</td>`,
		// Riskiest, red tickets with their rules, backlog labels.
		"射阳县恒达纺织有限公司", "91320924MA1P4K7X2R", `<td class="n worse">▲ 3</td>`,
		"<li>拖欠工资超过2个月</li>", `<td class="n">10240</td>`, "经营者逃匿", "处置中", "不足1天", "30天以上",
		// Print layout.
		"@page { size: A4;", "page-break-inside: avoid", "break-before: page",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, k := range append([]string{"report"}, Sections...) {
		if k == "report" {
			continue
		}
		if title := catalogue["zh"]["section."+k]; !strings.Contains(h, "<h2>"+title+"</h2>") {
			t.Errorf("HTML lacks the heading %q", title)
		}
	}
	if n := strings.Count(h, "<svg "); n != 2 {
		t.Errorf("%d SVG charts; want 2", n)
	}
	// Stacked bars: one rect per non-zero level per week, plus 4 legend keys.
	rects := 4
	for _, x := range s.Trend {
		for _, l := range gridwarn.Levels {
			if x.ByLevel[l] > 0 {
				rects++
			}
		}
	}
	trend := h[strings.Index(h, `<section id="trend">`):]
	if n := strings.Count(trend, "<rect "); n != rects {
		t.Errorf("trend chart has %d rects; want %d", n, rects)
	}
	for _, bad := range []string{"<script", "http://", "https://", "javascript:", "ZgotmplZ"} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
}

func TestHTMLEnglish(t *testing.T) {
	h := string(render(t, "html", fixture(t), "en-US"))
	for _, want := range []string{
		`<html lang="en">`, "<h2>This week</h2>", "<h2>Ten riskiest enterprises</h2>", "Red (emergency)",
		"(last week 24)", "Wage arrears", "In progress", "2026-11-16 to 2026-11-22", "County",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("English HTML lacks %q", want)
		}
	}
	if strings.Contains(h, "本周概况") || strings.Contains(h, "<td>拖欠工资</td>") || strings.Contains(h, "红 紧急") {
		t.Error("English HTML contains Chinese labels")
	}
}

func TestHTMLEscapes(t *testing.T) {
	s := fixture(t)
	s.UnitName = `县<b>`
	s.Riskiest[0].Name = `<script>alert("x")</script>恒达`
	s.Towns[0].TownName = `<img src=x onerror=alert(1)>`
	s.Red[0].Rules = append(s.Red[0].Rules, `</li><script>steal()</script>`)
	s.Red[1].Name = `A & B "quoted" 'single'`
	s.Trend[0].ISO = `<svg onload=alert(1)>`
	h := string(render(t, "html", s, "zh"))
	for _, bad := range []string{"<script", "<img", "<svg onload", "<b>", `"quoted"`} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;恒达", "&lt;img src=x onerror=alert(1)&gt;",
		"&lt;/li&gt;&lt;script&gt;steal()&lt;/script&gt;", "A &amp; B &#34;quoted&#34; &#39;single&#39;",
		"县&lt;b&gt;", "&lt;svg onload=alert(1)&gt;",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks the escaped %q", want)
		}
	}
}

func parseCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(BOM)) {
		t.Fatalf("CSV does not start with a BOM: % x", b[:min(len(b), 3)])
	}
	r := csv.NewReader(bytes.NewReader(b[len(BOM):]))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	return recs
}

// csvSection returns the rows of the section titled title (header first).
func csvSection(recs [][]string, title string) [][]string {
	for i, r := range recs {
		if len(r) == 1 && r[0] == title {
			var out [][]string
			for _, x := range recs[i+1:] {
				if len(x) == 1 && slices.Contains(slices.Collect(func(yield func(string) bool) {
					for k, v := range catalogue["zh"] {
						if strings.HasPrefix(k, "section.") && !yield(v) {
							return
						}
					}
				}), x[0]) {
					break
				}
				out = append(out, x)
			}
			return out
		}
	}
	return nil
}

func TestCSV(t *testing.T) {
	b := render(t, "csv", fixture(t), "zh")
	if !bytes.Contains(b, []byte("\r\n")) {
		t.Error("CSV lines do not end in CRLF")
	}
	recs := parseCSV(t, b)
	for _, k := range append([]string{"report"}, Sections...) {
		title := catalogue["zh"]["section."+k]
		if csvSection(recs, title) == nil {
			t.Errorf("CSV lacks the section %q", title)
		}
	}
	head := csvSection(recs, "本周概况")
	want := [][]string{
		{"指标", "本周", "上周", "变化"},
		{"事件数", "30", "24", "6"},
		{"新增工单", "18", "15", "3"},
		{"上提工单", "4", "2", "2"},
		{"办结工单", "15", "17", "-2"},
		{"逾期工单", "3", "5", "-2"},
		{"追回金额（元）", "1286500.00", "842000.00", "444500.00"},
		{"惠及职工（人）", "214", "156", "58"},
		{"回访数", "12", "10", "2"},
		{"满意数", "11", "10", "1"},
		{"满意率（%）", "91.7", "100.0", "-8.3"},
	}
	if !reflect.DeepEqual(head, want) {
		t.Errorf("headline section:\n got %q\nwant %q", head, want)
	}
	if red := csvSection(recs, "红色预警工单"); len(red) != 6 || red[3][0] != "10231" ||
		red[3][6] != "拖欠工资超过2个月；涉及职工100人以上" {
		t.Errorf("red section: %q", red)
	}
	if tr := csvSection(recs, "近八周趋势"); len(tr) != 9 || !slices.Equal(tr[8], []string{"2026-W47", "14", "9", "4", "3", "30"}) {
		t.Errorf("trend section: %q", tr)
	}
	if lv := csvSection(recs, "按预警等级"); !slices.Equal(lv[4], []string{"红 紧急", "3", "10.0"}) {
		t.Errorf("levels section: %q", lv)
	}
	if towns := csvSection(recs, "各镇对比"); len(towns) != 3 || towns[1][1] != "合德镇" || towns[1][2] != "8" {
		t.Errorf("towns section: %q", towns)
	}
}

func TestCSVInjection(t *testing.T) {
	s := fixture(t)
	s.Riskiest[0].Name = `=HYPERLINK("http://evil","x")`
	s.Red[0].Name = "@SUM(1)"
	recs := parseCSV(t, render(t, "csv", s, "zh"))
	risk := csvSection(recs, "风险最高的十家企业")
	if got := risk[1][2]; got != `'=HYPERLINK("http://evil","x")` {
		t.Errorf("formula not defused: %q", got)
	}
	if got := csvSection(recs, "红色预警工单")[1][2]; got != "'@SUM(1)" {
		t.Errorf("formula not defused: %q", got)
	}
	// Negative numbers stay numbers.
	if got := risk[6][7]; got != "-1" {
		t.Errorf("trend of the 6th enterprise: %q", got)
	}
}

func TestXLSX(t *testing.T) {
	for _, lang := range Languages {
		b := render(t, "xlsx", fixture(t), lang)
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, k := range Sections {
			want = append(want, catalogue[lang]["sheet."+k])
		}
		if got := f.GetSheetList(); !slices.Equal(got, want) {
			t.Errorf("%s: sheets %q; want %q", lang, got, want)
		}
		head := want[0]
		raw := func(sheet, ref string) string {
			v, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		num := func(sheet, ref string, want float64) {
			t.Helper()
			got, err := strconv.ParseFloat(raw(sheet, ref), 64)
			if err != nil || got != want {
				t.Errorf("%s: %s!%s = %q; want the number %v", lang, sheet, ref, raw(sheet, ref), want)
			}
			if typ, _ := f.GetCellType(sheet, ref); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
				t.Errorf("%s: %s!%s is stored as text", lang, sheet, ref)
			}
		}
		if got := raw(head, "A2"); got != catalogue[lang]["metric.events"] {
			t.Errorf("%s: A2 = %q", lang, got)
		}
		num(head, "B2", 30)
		num(head, "C2", 24)
		num(head, "D2", 6)
		num(head, "B7", 1286500)
		num(head, "D7", 444500)
		num(head, "B11", 91.7)
		num(want[1], "B5", 3) // red events
		num(want[5], "D3", 302.4)
		num(want[8], "A4", 10231)
		if got := raw(want[7], "C2"); got != "射阳县恒达纺织有限公司" {
			t.Errorf("%s: riskiest C2 = %q", lang, got)
		}
		if got, _ := f.GetCellValue(head, "B7"); got != "1,286,500.00" {
			t.Errorf("%s: money shown as %q", lang, got)
		}
		// Row counts: header plus rows.
		for sheet, n := range map[string]int{want[4]: 4, want[7]: 11, want[8]: 6, want[9]: 9, want[3]: 3} {
			rows, _ := f.GetRows(sheet)
			if len(rows) != n {
				t.Errorf("%s: sheet %s has %d rows; want %d", lang, sheet, len(rows), n)
			}
		}
		// Header rows are bold.
		for _, sheet := range want {
			id, err := f.GetCellStyle(sheet, "A1")
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil || st.Font == nil || !st.Font.Bold {
				t.Errorf("%s: %s!A1 is not bold", lang, sheet)
			}
		}
		// The report information sits under the headline.
		rows, _ := f.GetRows(head)
		if len(rows) < 14 || rows[13][1] != "射阳县" {
			t.Errorf("%s: headline sheet rows %q", lang, rows)
		}
		_ = f.Close()
	}
}

func TestEmptySummary(t *testing.T) {
	for name, s := range map[string]*gridwarn.WeeklySummary{"no events": emptySummary(), "zero value": {}} {
		for format := range renderers {
			for _, lang := range Languages {
				if b := render(t, format, s, lang); len(b) == 0 {
					t.Errorf("%s: %s (%s) is empty", name, format, lang)
				}
			}
		}
	}
	h := string(render(t, "html", emptySummary(), "zh"))
	for _, want := range []string{"本周无事件", `<div class="v">0</div>`, "持平"} {
		if !strings.Contains(h, want) {
			t.Errorf("empty HTML lacks %q", want)
		}
	}
	recs := parseCSV(t, render(t, "csv", emptySummary(), "zh"))
	for _, k := range Sections {
		if csvSection(recs, catalogue["zh"]["section."+k]) == nil {
			t.Errorf("empty CSV lacks the section %s", k)
		}
	}
}

func TestNil(t *testing.T) {
	for format, r := range renderers {
		if err := r(&bytes.Buffer{}, nil, "zh"); err == nil {
			t.Errorf("%s accepts a nil summary", format)
		}
	}
}

func TestConcurrent(t *testing.T) {
	s := fixture(t)
	want := render(t, "html", s, "zh")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			var b bytes.Buffer
			lang := Languages[i%2]
			if err := HTML(&b, s, lang); err != nil {
				t.Error(err)
			}
			if lang == "zh" && !bytes.Equal(b.Bytes(), want) {
				t.Error("concurrent render differs")
			}
		})
	}
	wg.Wait()
}

func TestGroup(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		d    int
		want string
	}{
		{0, 0, "0"}, {999, 0, "999"}, {1000, 0, "1,000"}, {1286500, 2, "1,286,500.00"},
		{-1234.5, 1, "-1,234.5"}, {-0.001, 2, "0.00"}, {123456789, 0, "123,456,789"},
	} {
		if got := group(tc.f, tc.d); got != tc.want {
			t.Errorf("group(%v, %d) = %q; want %q", tc.f, tc.d, got, tc.want)
		}
	}
}

func wk(y, n int) gridwarn.Week { return gridwarn.Week{Year: y, Week: n} }

func isos(ws []gridwarn.Week) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = isoweek.Format(w)
	}
	return out
}

// A rate of nothing (0 of 0: no call-back, no time limit ended, no event)
// is "—" in every column and every format, never 0.0 in one and "—" in
// another (issue #14).
func TestZeroOfZeroIsADash(t *testing.T) {
	s := emptySummary()
	s.TimeLimits = []gridwarn.TierLimitsMet{{Tier: gridwarn.TierTown}}
	recs := parseCSV(t, render(t, "csv", s, "zh"))
	head := csvSection(recs, "本周概况")
	if got := head[len(head)-1]; !slices.Equal(got, []string{"满意率（%）", "—", "—", "—"}) {
		t.Errorf("satisfaction with no call-back: %q", got)
	}
	if lv := csvSection(recs, "按预警等级"); !slices.Equal(lv[1][2:], []string{"—"}) || !slices.Equal(lv[len(lv)-1][2:], []string{"—"}) {
		t.Errorf("shares of no event: %q", lv)
	}
	var tl [][]string
	for _, r := range recs {
		if len(r) == 4 && r[0] == "镇" && r[1] == "0" && r[2] == "0" {
			tl = append(tl, r)
		}
	}
	if len(tl) != 1 || tl[0][3] != "—" {
		t.Errorf("a tier with no time limit ended: %q", tl)
	}
	for _, lang := range []string{"zh", "en"} {
		html := string(render(t, "html", s, lang))
		if i := strings.Index(html, ">0.0<"); i >= 0 {
			t.Errorf("%s HTML shows 0.0 for a rate of nothing: …%s…", lang, html[max(0, i-300):i+10])
		}
	}
	// A rate with something to count stays a number.
	s.Headline.CallBacks, s.Headline.Satisfied, s.Headline.SatisfactionPct = 2, 1, 50
	s.Previous.CallBacks, s.Previous.Satisfied, s.Previous.SatisfactionPct = 1, 1, 100
	head = csvSection(parseCSV(t, render(t, "csv", s, "zh")), "本周概况")
	if got := head[len(head)-1]; !slices.Equal(got, []string{"满意率（%）", "50.0", "100.0", "-50.0"}) {
		t.Errorf("satisfaction 1 of 2: %q", got)
	}
}
