package summary

import (
	_ "embed"
	"html/template"
	"io"
	"math"
	"strconv"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

//go:embed report.html.tmpl
var reportTmpl string

// page is parsed once; HTML clones it to bind the catalogue of a language.
var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"t": func(string) string { return "" },
}).Parse(reportTmpl))

type htmlPage struct {
	Lang                                string // html lang attribute
	Colon, LP, RP                       string // punctuation of the language
	Title                               string
	Unit, UnitCode, ISO, Period         string
	BuiltAt, TimeZone, RulesNote        string
	Revision                            int
	KPIs                                []kpi
	Levels                              []levelRow
	LevelTotal                          string
	Categories, Trend                   *Chart
	HeatLevels                          []levelRow
	Towns                               []townRow
	TownHeader                          []string
	TimeLimits, Durations, Backlog, TrT htmlTable
	Riskiest                            []riskRow
	Red                                 []redRow
	// Extra are a period report's own sections, after the summary's.
	Extra []extraSection
}

type kpi struct{ Label, Value, Arrow, Delta, Prev, Class string }

type levelRow struct{ Name, Colour, Count, Share string }

type heatCell struct{ Count, BG, FG string }

type townRow struct {
	Code, Name string
	Levels     []heatCell
	Cells      []string
}

type riskRow struct {
	Rank, Code, Name, Town, Score string
	Level, Colour, Events         string
	Trend, TrendClass             string
}

type redRow struct {
	ID, Code, Name, Category, Status, Tier string
	Rules                                  []string
}

type htmlTable struct {
	Header []string
	Num    []bool // per column: right-aligned numbers
	Rows   [][]string
}

// htmlTableOf shows a table with readable numbers.
func htmlTableOf(t table) htmlTable {
	h := htmlTable{Header: t.header, Num: make([]bool, len(t.header))}
	for _, r := range t.rows {
		row := make([]string, len(r))
		for j, c := range r {
			row[j] = c.pretty()
			if c.num && j < len(h.Num) {
				h.Num[j] = true
			}
		}
		h.Rows = append(h.Rows, row)
	}
	return h
}

// HTMLPolicy is the Content-Security-Policy an HTML summary is served
// with: the page has its own <style> element and style attributes (colour
// swatches, the towns' heat map) and no script, so it may use inline styles
// and nothing else; only the console may frame it.
const HTMLPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

// HTML writes s as one self-contained HTML page for reading on screen and
// printing on A4: inline CSS, charts as inline SVG drawn in Go, no script
// and no external resource. Every text from the summary is escaped by
// html/template. lang is "zh" (default) or "en".
func HTML(w io.Writer, s *gridwarn.WeeklySummary, lang string) error {
	if s == nil {
		return errNil
	}
	v := newView(s, lang)
	p := v.htmlPage()
	return executePage(w, v, p)
}

func (v *view) htmlPage() *htmlPage {
	s := v.s
	p := &htmlPage{
		Lang: "zh-CN", Title: v.title(), Unit: s.UnitName, UnitCode: s.UnitCode, ISO: v.iso, Period: v.period,
		BuiltAt: v.builtAt, TimeZone: s.TimeZone, RulesNote: s.RulesNote, Revision: s.Revision,
	}
	if v.lang == "en" {
		p.Lang = "en"
	}
	p.Colon, p.LP, p.RP = "：", "（", "）"
	if v.lang == "en" {
		p.Colon, p.LP, p.RP = ": ", " (", ")"
	}
	for _, m := range metrics {
		k := kpi{Label: v.l["metric."+m.key], Value: group(m.get(s.Headline), m.dec),
			Prev: p.LP + v.l["prev"] + " " + group(m.get(s.Previous), m.dec) + p.RP}
		if m.key == "satisfaction_pct" && s.Previous.CallBacks == 0 {
			k.Prev = p.LP + v.l["prev"] + " —" + p.RP
		}
		switch d := m.change(s); {
		case m.key == "satisfaction_pct" && s.Headline.CallBacks == 0:
			k.Value, k.Class = "—", "same" // no call-back, no rate
		case d > 0:
			k.Arrow, k.Delta, k.Class = "▲", group(d, m.dec), "better"
			if m.upIsWorse {
				k.Class = "worse"
			}
		case d < 0:
			k.Arrow, k.Delta, k.Class = "▼", group(-d, m.dec), "worse"
			if m.upIsWorse {
				k.Class = "better"
			}
		default:
			k.Delta, k.Class = v.l["unchanged"], "same"
		}
		p.KPIs = append(p.KPIs, k)
	}

	total := sumLevels(s.ByLevel)
	for _, l := range gridwarn.Levels {
		p.Levels = append(p.Levels, levelRow{Name: v.level(l), Colour: LevelColours[l],
			Count: group(float64(s.ByLevel[l]), 0), Share: shareText(s.ByLevel[l], total)})
		p.HeatLevels = append(p.HeatLevels, levelRow{Name: v.levelShort(l), Colour: LevelColours[l]})
	}
	p.LevelTotal = group(float64(total), 0)
	p.Categories = v.categoryChart()
	p.Trend = v.trendChart()

	// Towns: the level columns shaded by count relative to the largest
	// count of the table.
	maxN := 0
	for _, t := range s.Towns {
		for _, l := range gridwarn.Levels {
			maxN = max(maxN, t.ByLevel[l])
		}
	}
	townMetrics := []string{"events", "new_tickets", "closed", "overdue", "money_recovered_cny", "workers_covered"}
	for _, k := range townMetrics {
		p.TownHeader = append(p.TownHeader, v.l["metric."+k])
	}
	for _, t := range s.Towns {
		r := townRow{Code: t.TownCode, Name: t.TownName}
		for _, l := range gridwarn.Levels {
			n := t.ByLevel[l]
			c := heatCell{Count: group(float64(n), 0), BG: "#ffffff", FG: "#1a202c"}
			if n > 0 && maxN > 0 {
				c.BG, c.FG = shade(LevelColours[l], 0.12+0.88*float64(n)/float64(maxN))
			}
			r.Levels = append(r.Levels, c)
		}
		for _, k := range townMetrics {
			for _, m := range metrics {
				if m.key == k {
					r.Cells = append(r.Cells, group(m.get(t.Headline), m.dec))
				}
			}
		}
		p.Towns = append(p.Towns, r)
	}

	tables := map[string]table{}
	for _, t := range v.tables() {
		tables[t.key] = t
	}
	p.TimeLimits = htmlTableOf(tables["time_limits"])
	p.Durations = htmlTableOf(tables["durations"])
	p.Backlog = htmlTableOf(tables["backlog"])
	p.TrT = htmlTableOf(tables["trend"])
	// The hotline's rows follow the summary's own sections.
	p.Extra = append(p.Extra, extraSection{ID: "hotline", Title: v.l["section.hotline"], Table: htmlTableOf(tables["hotline"])})

	for i, e := range s.Riskiest {
		r := riskRow{Rank: group(float64(i+1), 0), Code: e.CreditCode, Name: e.Name, Town: v.town(e.TownCode),
			Score: group(float64(e.Score), 0), Level: v.levelShort(e.Level), Colour: LevelColours[e.Level],
			Events: group(float64(e.Events), 0)}
		if r.Colour == "" {
			r.Colour = "#a0aec0"
		}
		switch {
		case e.Trend > 0:
			r.Trend, r.TrendClass = "▲ "+group(float64(e.Trend), 0), "worse"
		case e.Trend < 0:
			r.Trend, r.TrendClass = "▼ "+group(math.Abs(float64(e.Trend)), 0), "better"
		default:
			r.Trend, r.TrendClass = "–", "same"
		}
		p.Riskiest = append(p.Riskiest, r)
	}
	for _, t := range s.Red {
		p.Red = append(p.Red, redRow{ID: strconv.FormatInt(t.TicketID, 10), Code: t.Enterprise, Name: t.Name,
			Category: v.category(t.Category), Status: v.status(t.Status), Tier: v.tier(t.Tier), Rules: t.Rules})
	}
	return p
}

// shareText is n's share of total as the tables show it: none for 0 of 0.
func shareText(n, total int) string {
	if total == 0 {
		return none
	}
	return group(share(n, total), 1)
}
