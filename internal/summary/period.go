package summary

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gridwarn/gridwarn/internal/formula"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The monthly push (每月一推送), the quarterly analysis (每季度一研判) and
// the unionization circular (一月一通报) in the weekly summary's formats:
// HTML for reading and printing, XLSX and CSV for the spreadsheet. A
// period report is its summary (the weekly summary's sections, worded for
// a month or a quarter) followed by its own sections; a circular is a
// plain document of tables. Every spreadsheet cell of text passes
// formula.Defuse, as the weekly summary's do.

// PeriodSections are the sections a period report adds to the weekly
// summary's (section.<key> and sheet.<key> in the catalogue).
var PeriodSections = []string{"year_ago", "rising_categories", "rising_towns", "stayed_red", "coverage", "unionization"}

// CircularSections are the sections of a unionization circular.
var CircularSections = []string{"circ_towns", "circ_longest", "circ_items"}

// periodLabels are the words of the weekly catalogue that change for a
// month or a quarter.
var periodLabels = map[string]map[gridwarn.PeriodKind]map[string]string{
	"zh": {
		gridwarn.PeriodMonth: {"title": "劳动关系风险月度推送", "week": "月份", "prev": "上月", "no_events": "本月无事件",
			"chart.trend": "近八个月各等级事件数", "chart.categories": "本月各类别事件数", "section.headline": "本月概况",
			"section.trend": "近八个月", "col.this_week": "本月", "col.prev_week": "上月", "col.week_events": "本月事件",
			"col.trend": "较上月", "col.week": "月"},
		gridwarn.PeriodQuarter: {"title": "劳动关系风险季度研判", "week": "季度", "prev": "上季度", "no_events": "本季度无事件",
			"chart.trend": "近八个季度各等级事件数", "chart.categories": "本季度各类别事件数", "section.headline": "本季度概况",
			"section.trend": "近八个季度", "col.this_week": "本季度", "col.prev_week": "上季度", "col.week_events": "本季度事件",
			"col.trend": "较上季度", "col.week": "季度"},
	},
	"en": {
		gridwarn.PeriodMonth: {"title": "Monthly labor-dispute risk push", "week": "Month", "prev": "last month",
			"no_events": "No events this month", "chart.trend": "Events by level, last eight months",
			"chart.categories": "Events by category this month", "section.headline": "This month",
			"section.trend": "Last eight months", "col.this_week": "This month", "col.prev_week": "Last month",
			"col.week_events": "Events this month", "col.trend": "vs last month", "col.week": "Month"},
		gridwarn.PeriodQuarter: {"title": "Quarterly labor-dispute risk analysis", "week": "Quarter", "prev": "last quarter",
			"no_events": "No events this quarter", "chart.trend": "Events by level, last eight quarters",
			"chart.categories": "Events by category this quarter", "section.headline": "This quarter",
			"section.trend": "Last eight quarters", "col.this_week": "This quarter", "col.prev_week": "Last quarter",
			"col.week_events": "Events this quarter", "col.trend": "vs last quarter", "col.week": "Quarter"},
	},
}

// newPeriodView is the view of a period report's summary, in the words of
// its period.
func newPeriodView(r *gridwarn.PeriodReport, lang string) *view {
	s := *r.Summary
	if s.UnitName == "" {
		s.UnitName = r.UnitName
	}
	s.ISO, s.Revision, s.BuiltAt = r.Period, r.Revision, r.BuiltAt
	v := newView(&s, lang)
	l := maps.Clone(v.l)
	maps.Copy(l, periodLabels[v.lang][r.Kind])
	v.l = l
	if !s.From.IsZero() && !s.To.IsZero() {
		v.period = s.From.In(v.loc).Format(time.DateOnly) + " " + v.l["to"] + " " +
			s.To.In(v.loc).Add(-time.Nanosecond).Format(time.DateOnly)
	}
	return v
}

func pct(f *float64) cell {
	if f == nil {
		return txt(none)
	}
	return decimal(float64(int64(*f*1000+0.5))/10, 1)
}

func (v *view) yesNo(b *bool) cell {
	if b == nil {
		return txt(none)
	}
	if *b {
		return txt(v.l["yes"])
	}
	return txt(v.l["no"])
}

// periodTables are a period report's own sections, in PeriodSections'
// order.
func (v *view) periodTables(r *gridwarn.PeriodReport) []table {
	var out []table
	t := table{key: "year_ago", header: v.col("metric", "this_week", "year_ago", "change")}
	for _, m := range metrics {
		now, then := m.get(v.s.Headline), m.get(r.YearAgo)
		d := txt(none)
		if m.of == nil || m.of(v.s.Headline) > 0 && m.of(r.YearAgo) > 0 {
			d = decimal(now-then, m.dec)
		}
		t.rows = append(t.rows, []cell{txt(v.l["metric."+m.key]), m.cell(v.s.Headline), m.cell(r.YearAgo), d})
	}
	out = append(out, t)

	t = table{key: "rising_categories", header: v.col("category", "this_week", "prev_week", "change")}
	for _, c := range r.RisingCategories {
		t.rows = append(t.rows, []cell{txt(v.category(gridwarn.Category(c.Key))), integer(c.Now), integer(c.Before), integer(c.Now - c.Before)})
	}
	out = append(out, t)

	t = table{key: "rising_towns", header: v.col("town_code", "town", "this_week", "prev_week", "change")}
	for _, c := range r.RisingTowns {
		name := c.Name
		if name == "" {
			name = v.town(c.Key)
		}
		t.rows = append(t.rows, []cell{txt(c.Key), txt(name), integer(c.Now), integer(c.Before), integer(c.Now - c.Before)})
	}
	out = append(out, t)

	t = table{key: "stayed_red", header: v.col("credit_code", "enterprise", "ticket")}
	for _, e := range r.StayedRed {
		ids := make([]string, len(e.TicketIDs))
		for i, id := range e.TicketIDs {
			ids[i] = "#" + strconv.FormatInt(id, 10)
		}
		t.rows = append(t.rows, []cell{txt(e.Enterprise), txt(e.Name), txt(strings.Join(ids, " "))})
	}
	out = append(out, t)

	c := r.Coverage
	t = table{key: "coverage", header: v.col("item", "enterprises_n", "visited", "share", "target", "cov_met")}
	t.rows = append(t.rows,
		[]cell{txt(v.l["cov.all"]), integer(c.Enterprises), integer(c.Visited), pct(c.Share), targetCell(c.Target.Enterprises), v.yesNo(c.Met)},
		[]cell{txt(v.l["cov.key"]), integer(c.KeyEnterprises), integer(c.KeyVisited), pct(c.KeyShare), targetCell(c.Target.KeyEnterprises), v.yesNo(c.KeyMet)})
	out = append(out, t)

	t = table{key: "unionization", header: v.circHeader()}
	if u := r.Unionization; u != nil {
		t.rows = append(t.rows, v.circRow(*u))
	}
	out = append(out, t)
	return out
}

func targetCell(f float64) cell {
	if f <= 0 {
		return txt(none)
	}
	return decimal(f*100, 0)
}

func (v *view) circHeader() []string {
	return v.col("unit_code", "unit", "listed", "newly_listed", "newly_unionized", "year_list", "year_done", "progress", "target")
}

func (v *view) circRow(t gridwarn.CircularTown) []cell {
	return []cell{txt(t.UnitCode), txt(t.UnitName), integer(t.Listed), integer(t.NewlyListed), integer(t.NewlyUnionized),
		integer(t.YearList), integer(t.YearDone), pct(t.Progress), targetCell(t.Target)}
}

// PeriodHTML writes a monthly push or a quarterly analysis as one
// self-contained page: the weekly summary's page worded for the period,
// followed by the period's own sections (PeriodSections).
func PeriodHTML(w io.Writer, r *gridwarn.PeriodReport, lang string) error {
	if r == nil || r.Summary == nil {
		return errNil
	}
	v := newPeriodView(r, lang)
	p := v.htmlPage()
	for _, t := range v.periodTables(r) {
		p.Extra = append(p.Extra, extraSection{ID: strings.ReplaceAll(t.key, "_", "-"), Title: v.l["section."+t.key],
			Table: htmlTableOf(t)})
	}
	return executePage(w, v, p)
}

func executePage(w io.Writer, v *view, p *htmlPage) error {
	tmpl, err := page.Clone()
	if err != nil {
		return err
	}
	tmpl.Funcs(template.FuncMap{"t": func(k string) string { return label(v.l, k) }})
	bw := bufio.NewWriter(w)
	if err := tmpl.Execute(bw, p); err != nil {
		return err
	}
	return bw.Flush()
}

// PeriodXLSX writes a period report as a workbook: the weekly summary's
// sheets, then one sheet per PeriodSections.
func PeriodXLSX(w io.Writer, r *gridwarn.PeriodReport, lang string) error {
	if r == nil || r.Summary == nil {
		return errNil
	}
	v := newPeriodView(r, lang)
	var sheets []sheet
	for _, t := range append(v.tables(), v.periodTables(r)...) {
		sh := sheet{name: v.l["sheet."+t.key], tables: []table{t}}
		if t.key == "headline" {
			sh.tables = append(sh.tables, v.reportTable())
		}
		sheets = append(sheets, sh)
	}
	return writeWorkbook(w, sheets, v.title(), v.lang, r.Revision, r.BuiltAt)
}

// PeriodCSV writes a period report as CSV: the weekly summary's sections,
// then the period's own.
func PeriodCSV(w io.Writer, r *gridwarn.PeriodReport, lang string) error {
	if r == nil || r.Summary == nil {
		return errNil
	}
	v := newPeriodView(r, lang)
	return writeCSV(w, v, append(append([]table{v.reportTable()}, v.tables()...), v.periodTables(r)...))
}

func writeCSV(w io.Writer, v *view, tables []table) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	for _, t := range tables {
		_ = cw.Write([]string{formula.Defuse(v.l["section."+t.key])})
		hdr := make([]string, len(t.header))
		for i, h := range t.header {
			hdr[i] = formula.Defuse(h)
		}
		_ = cw.Write(hdr)
		for _, r := range t.rows {
			rec := make([]string, len(r))
			for i, c := range r {
				rec[i] = c.plain()
				if !c.num {
					rec[i] = formula.Defuse(rec[i])
				}
			}
			_ = cw.Write(rec)
		}
		_ = cw.Write(nil)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// sheet is one worksheet: its tables one under another.
type sheet struct {
	name   string
	tables []table
}

// writeWorkbook writes sheets as an XLSX workbook: bold header rows,
// numbers as numbers, text through formula.Defuse (xlsxStyles.write).
func writeWorkbook(w io.Writer, sheets []sheet, title, lang string, revision int, builtAt time.Time) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	st, err := newXLSXStyles(f)
	if err != nil {
		return err
	}
	for i, sh := range sheets {
		if i == 0 {
			err = f.SetSheetName(f.GetSheetName(0), sh.name)
		} else {
			_, err = f.NewSheet(sh.name)
		}
		if err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", sh.name, err)
		}
		width := 0
		for _, t := range sh.tables {
			width = max(width, len(t.header))
		}
		widths := make([]int, width)
		row := 1
		for _, t := range sh.tables {
			if row, err = st.write(f, sh.name, row, t, widths); err != nil {
				return fmt.Errorf("xlsx: sheet %s: %w", sh.name, err)
			}
			row++
		}
		for c, wd := range widths {
			col, _ := excelize.ColumnNumberToName(c + 1)
			if err := f.SetColWidth(sh.name, col, col, float64(min(max(wd, 6), 60)+2)); err != nil {
				return err
			}
		}
		if err := f.SetPanes(sh.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	props := &excelize.DocProperties{Title: title, Language: map[string]string{"zh": "zh-CN", "en": "en"}[lang],
		Creator: "gridwarn", Revision: fmt.Sprint(revision)}
	if !builtAt.IsZero() {
		props.Created = builtAt.UTC().Format(time.RFC3339)
		props.Modified = props.Created
	}
	if err := f.SetDocProps(props); err != nil {
		return err
	}
	return f.Write(w)
}

// circularView is the view of a circular: the weekly catalogue's words
// with none of a summary's.
func circularView(c *gridwarn.UnionCircular, lang string) *view {
	v := newView(&gridwarn.WeeklySummary{UnitCode: c.UnitCode, UnitName: c.UnitName, Revision: c.Revision, BuiltAt: c.BuiltAt,
		TimeZone: "Asia/Shanghai"}, lang)
	v.iso = c.Period
	l := maps.Clone(v.l)
	l["title"] = l["circ.title_month"]
	if strings.Contains(c.Period, "Q") {
		l["title"] = l["circ.title_quarter"]
	}
	v.l = l
	return v
}

func (v *view) reason(r gridwarn.UnionizationReason) string { return label(v.l, "reason."+string(r)) }

// circularTables are a circular's sections, in CircularSections' order.
func (v *view) circularTables(c *gridwarn.UnionCircular) []table {
	t := table{key: "circ_towns", header: v.circHeader()}
	for _, town := range c.Towns {
		t.rows = append(t.rows, v.circRow(town))
	}
	tot := v.circRow(c.Totals)
	tot[1] = txt(v.l["col.total"])
	t.rows = append(t.rows, tot)
	out := []table{t}

	item := func(it gridwarn.CircularItem) []cell {
		yes := v.l["no"]
		if it.HundredPlus {
			yes = v.l["yes"]
		}
		return []cell{txt(it.CreditCode), txt(it.Name), txt(v.town(it.TownCode)), integer(it.Headcount), txt(it.OpenedOn),
			txt(it.JointUnion), txt(v.reason(it.Reason)), txt(yes), txt(it.ListedSince)}
	}
	hdr := v.col("credit_code", "enterprise", "town", "headcount", "opened_on", "joint_union", "reason", "hundred_plus", "listed_since")
	t = table{key: "circ_longest", header: hdr}
	for _, town := range c.Towns {
		for _, it := range town.Longest {
			t.rows = append(t.rows, item(it))
		}
	}
	if len(c.Towns) == 0 {
		for _, it := range c.Totals.Longest {
			t.rows = append(t.rows, item(it))
		}
	}
	out = append(out, t)
	t = table{key: "circ_items", header: hdr}
	for _, it := range c.Items {
		t.rows = append(t.rows, item(it))
	}
	return append(out, t)
}

func newCircularView(c *gridwarn.UnionCircular, lang string) *view {
	v := circularView(c, lang)
	for _, t := range c.Towns {
		v.townName[t.UnitCode] = t.UnitName
	}
	return v
}

// CircularXLSX writes a circular as a workbook, one sheet per
// CircularSections.
func CircularXLSX(w io.Writer, c *gridwarn.UnionCircular, lang string) error {
	if c == nil {
		return errNil
	}
	v := newCircularView(c, lang)
	var sheets []sheet
	for _, t := range v.circularTables(c) {
		sheets = append(sheets, sheet{name: v.l["sheet."+t.key], tables: []table{t}})
	}
	return writeWorkbook(w, sheets, v.title(), v.lang, c.Revision, c.BuiltAt)
}

//go:embed doc.html.tmpl
var docTmpl string

var docPage = template.Must(template.New("doc").Funcs(template.FuncMap{
	"t": func(string) string { return "" },
}).Parse(docTmpl))

type docView struct {
	Lang, Title, Colon, LP, RP string
	Unit, UnitCode, Period     string
	BuiltAt                    string
	Revision                   int
	Sections                   []extraSection
}

// CircularHTML writes a circular as one self-contained page (served with
// HTMLPolicy, like the summary).
func CircularHTML(w io.Writer, c *gridwarn.UnionCircular, lang string) error {
	if c == nil {
		return errNil
	}
	v := newCircularView(c, lang)
	p := docView{Lang: "zh-CN", Title: v.title(), Colon: "：", LP: "（", RP: "）", Unit: c.UnitName, UnitCode: c.UnitCode,
		Period: c.Period, BuiltAt: v.builtAt, Revision: c.Revision}
	if v.lang == "en" {
		p.Lang, p.Colon, p.LP, p.RP = "en", ": ", " (", ")"
	}
	for _, t := range v.circularTables(c) {
		p.Sections = append(p.Sections, extraSection{ID: strings.ReplaceAll(t.key, "_", "-"), Title: v.l["section."+t.key],
			Table: htmlTableOf(t)})
	}
	tmpl, err := docPage.Clone()
	if err != nil {
		return err
	}
	tmpl.Funcs(template.FuncMap{"t": func(k string) string { return label(v.l, k) }})
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// extraSection is a titled table of a page.
type extraSection struct {
	ID, Title string
	Table     htmlTable
}
