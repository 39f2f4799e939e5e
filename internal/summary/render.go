package summary

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
)

var errNil = errors.New("summary: nil summary")

// JSON writes s as indented JSON (two spaces, a final newline). Map keys
// come out sorted, so the output is deterministic.
func JSON(w io.Writer, s *gridwarn.WeeklySummary) error {
	if s == nil {
		return errNil
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Sections are the keys of a summary's sections in the order every
// renderer shows them (section.<key> and sheet.<key> in the catalogue).
var Sections = []string{
	"headline", "levels", "categories", "towns", "time_limits", "durations", "backlog", "riskiest", "red", "trend", "hotline",
}

// LevelColours are the colours of the levels in charts.
var LevelColours = map[gridwarn.Level]string{
	gridwarn.LevelBlue:   "#2b6cb0",
	gridwarn.LevelYellow: "#d69e2e",
	gridwarn.LevelOrange: "#dd6b20",
	gridwarn.LevelRed:    "#c53030",
}

// cell is one value of a rendered table: text, or a number shown with dec
// decimals.
type cell struct {
	s   string
	n   float64
	num bool
	dec int
}

func txt(s string) cell             { return cell{s: s} }
func integer(n int) cell            { return cell{n: float64(n), num: true} }
func decimal(f float64, d int) cell { return cell{n: f, num: true, dec: d} }

// none is the cell of a rate with nothing to count (0 of 0): "—" in every
// column and format, never 0.0 in one place and "—" in another.
const none = "—"

// rate is a percentage (or a percentile, one decimal) of a count of denom
// things, none when denom is 0.
func rate(f float64, denom int) cell {
	if denom == 0 {
		return txt(none)
	}
	return decimal(f, 1)
}

// plain is the cell as written to CSV: numbers without grouping.
func (c cell) plain() string {
	if !c.num {
		return c.s
	}
	return strconv.FormatFloat(c.n, 'f', c.dec, 64)
}

// pretty is the cell as shown to a reader: numbers with thousands
// separators.
func (c cell) pretty() string {
	if !c.num {
		return c.s
	}
	return group(c.n, c.dec)
}

// group formats f with d decimals and commas between thousands ("-0.00"
// comes out as "0.00").
func group(f float64, d int) string {
	s := strconv.FormatFloat(f, 'f', d, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// table is one section of a summary as rows and columns.
type table struct {
	key    string
	header []string
	rows   [][]cell
}

// view holds what every renderer needs besides the tables.
type view struct {
	s        *gridwarn.WeeklySummary
	l        map[string]string
	lang     string
	loc      *time.Location
	iso      string
	period   string
	builtAt  string
	townName map[string]string
}

func newView(s *gridwarn.WeeklySummary, lang string) *view {
	v := &view{s: s, lang: Lang(lang), townName: map[string]string{}}
	v.l = catalogue[v.lang]
	loc, err := isoweek.Location(s.TimeZone)
	if err != nil {
		loc = s.From.Location()
	}
	v.loc = loc
	v.iso = s.ISO
	if v.iso == "" && isoweek.Valid(s.Week) == nil {
		v.iso = isoweek.Format(s.Week)
	}
	if !s.From.IsZero() && !s.To.IsZero() {
		// To is the next Monday 00:00; the last day shown is the Sunday.
		v.period = s.From.In(loc).Format(time.DateOnly) + " " + v.l["to"] + " " +
			s.To.In(loc).Add(-time.Nanosecond).Format(time.DateOnly)
	}
	if !s.BuiltAt.IsZero() {
		v.builtAt = s.BuiltAt.In(loc).Format("2006-01-02 15:04")
	}
	for _, t := range s.Towns {
		v.townName[t.TownCode] = t.TownName
	}
	return v
}

func (v *view) level(l gridwarn.Level) string      { return label(v.l, "level."+string(l)) }
func (v *view) levelShort(l gridwarn.Level) string { return label(v.l, "level_short."+string(l)) }
func (v *view) category(c gridwarn.Category) string {
	return label(v.l, "category."+string(c))
}
func (v *view) tier(t gridwarn.Tier) string     { return label(v.l, "tier."+string(t)) }
func (v *view) status(s gridwarn.Status) string { return label(v.l, "status."+string(s)) }
func (v *view) age(s string) string             { return label(v.l, "age."+s) }
func (v *view) col(keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = v.l["col."+k]
	}
	return out
}

// town names a town by code, falling back to the code.
func (v *view) town(code string) string {
	if n := v.townName[code]; n != "" {
		return n
	}
	return code
}

// categories lists the keys of m: every known category in DOMAIN.md's
// order, then unknown codes sorted.
func categories(m map[gridwarn.Category]int) []gridwarn.Category {
	out := slices.Clone(gridwarn.Categories)
	var extra []gridwarn.Category
	for c := range m {
		if !c.Valid() {
			extra = append(extra, c)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

func sumLevels(m map[gridwarn.Level]int) int {
	n := 0
	for _, l := range gridwarn.Levels {
		n += m[l]
	}
	return n
}

func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	pct := 100 * float64(n) / float64(total)
	return math.Round(pct*10) / 10
}

// metric is one number of a Headline.
type metric struct {
	key       string // json field name, catalogue key metric.<key>
	dec       int
	upIsWorse bool
	get       func(h gridwarn.Headline) float64
	// of, for a rate, is how many things it counts: 0 shows none.
	of func(h gridwarn.Headline) int
}

// cell is the metric's value in h.
func (m metric) cell(h gridwarn.Headline) cell {
	if m.of != nil && m.of(h) == 0 {
		return txt(none)
	}
	return decimal(m.get(h), m.dec)
}

// changeCell is the week's change, none when either week has no rate.
func (m metric) changeCell(s *gridwarn.WeeklySummary) cell {
	if m.of != nil && (m.of(s.Headline) == 0 || m.of(s.Previous) == 0) {
		return txt(none)
	}
	return decimal(m.change(s), m.dec)
}

var metrics = []metric{
	{"events", 0, true, func(h gridwarn.Headline) float64 { return float64(h.Events) }, nil},
	{"new_tickets", 0, true, func(h gridwarn.Headline) float64 { return float64(h.NewTickets) }, nil},
	{"escalated", 0, true, func(h gridwarn.Headline) float64 { return float64(h.Escalated) }, nil},
	{"closed", 0, false, func(h gridwarn.Headline) float64 { return float64(h.Closed) }, nil},
	{"overdue", 0, true, func(h gridwarn.Headline) float64 { return float64(h.Overdue) }, nil},
	{"money_recovered_cny", 2, false, func(h gridwarn.Headline) float64 { return h.MoneyRecoveredCNY }, nil},
	{"workers_covered", 0, false, func(h gridwarn.Headline) float64 { return float64(h.WorkersCovered) }, nil},
	{"call_backs", 0, false, func(h gridwarn.Headline) float64 { return float64(h.CallBacks) }, nil},
	{"satisfied", 0, false, func(h gridwarn.Headline) float64 { return float64(h.Satisfied) }, nil},
	{"satisfaction_pct", 1, false, func(h gridwarn.Headline) float64 { return h.SatisfactionPct }, func(h gridwarn.Headline) int { return h.CallBacks }},
}

// change is this week minus last week, rounded to the metric's decimals
// so that 0.1 + 0.2 - 0.3 shows as 0.
func (m metric) change(s *gridwarn.WeeklySummary) float64 {
	p := math.Pow(10, float64(m.dec))
	d := math.Round((m.get(s.Headline)-m.get(s.Previous))*p) / p
	if d == 0 {
		return 0 // not -0
	}
	return d
}

// reportTable describes the summary itself.
func (v *view) reportTable() table {
	s := v.s
	t := table{key: "report", header: v.col("item", "value")}
	add := func(k string, c cell) { t.rows = append(t.rows, []cell{txt(v.l[k]), c}) }
	add("unit", txt(s.UnitName))
	add("unit_code", txt(s.UnitCode))
	add("week", txt(v.iso))
	add("period", txt(v.period))
	add("time_zone", txt(s.TimeZone))
	add("built_at", txt(v.builtAt))
	add("revision", integer(s.Revision))
	if s.RulesNote != "" {
		add("rules_note", txt(s.RulesNote))
	}
	return t
}

// tables are the sections of Sections, in order.
func (v *view) tables() []table {
	s := v.s
	var out []table

	t := table{key: "headline", header: v.col("metric", "this_week", "prev_week", "change")}
	for _, m := range metrics {
		t.rows = append(t.rows, []cell{txt(v.l["metric."+m.key]), m.cell(s.Headline), m.cell(s.Previous), m.changeCell(s)})
	}
	out = append(out, t)

	total := sumLevels(s.ByLevel)
	t = table{key: "levels", header: v.col("level", "events", "share")}
	for _, l := range gridwarn.Levels {
		t.rows = append(t.rows, []cell{txt(v.level(l)), integer(s.ByLevel[l]), rate(share(s.ByLevel[l], total), total)})
	}
	t.rows = append(t.rows, []cell{txt(v.l["col.total"]), integer(total), rate(share(total, total), total)})
	out = append(out, t)

	ctotal := 0
	for _, n := range s.ByCat {
		ctotal += n
	}
	t = table{key: "categories", header: v.col("category", "events", "share")}
	for _, c := range categories(s.ByCat) {
		t.rows = append(t.rows, []cell{txt(v.category(c)), integer(s.ByCat[c]), rate(share(s.ByCat[c], ctotal), ctotal)})
	}
	t.rows = append(t.rows, []cell{txt(v.l["col.total"]), integer(ctotal), rate(share(ctotal, ctotal), ctotal)})
	out = append(out, t)

	t = table{key: "towns", header: v.col("town_code", "town")}
	for _, l := range gridwarn.Levels {
		t.header = append(t.header, v.levelShort(l))
	}
	for _, m := range metrics {
		t.header = append(t.header, v.l["metric."+m.key])
	}
	for _, tl := range s.Towns {
		r := []cell{txt(tl.TownCode), txt(tl.TownName)}
		for _, l := range gridwarn.Levels {
			r = append(r, integer(tl.ByLevel[l]))
		}
		for _, m := range metrics {
			r = append(r, m.cell(tl.Headline))
		}
		t.rows = append(t.rows, r)
	}
	out = append(out, t)

	t = table{key: "time_limits", header: v.col("tier", "ended", "met", "met_pct")}
	for _, tl := range v.timeLimits() {
		t.rows = append(t.rows, []cell{txt(v.tier(tl.Tier)), integer(tl.Ended), integer(tl.Met), rate(tl.MetPct, tl.Ended)})
	}
	out = append(out, t)

	t = table{key: "durations", header: v.col("stage", "tickets", "p50", "p90")}
	for _, d := range []struct {
		k string
		d gridwarn.Durations
	}{{"dur.accept", s.Accept}, {"dur.resolve", s.Resolve}} {
		t.rows = append(t.rows, []cell{txt(v.l[d.k]), integer(d.d.Count), rate(d.d.P50, d.d.Count), rate(d.d.P90, d.d.Count)})
	}
	out = append(out, t)

	t = table{key: "backlog", header: v.col("age", "tickets")}
	btotal := 0
	for _, b := range s.Backlog {
		t.rows = append(t.rows, []cell{txt(v.age(b.Label)), integer(b.Count)})
		btotal += b.Count
	}
	t.rows = append(t.rows, []cell{txt(v.l["col.total"]), integer(btotal)})
	out = append(out, t)

	t = table{key: "riskiest", header: v.col("rank", "credit_code", "enterprise", "town", "score", "level", "week_events", "trend")}
	for i, e := range s.Riskiest {
		t.rows = append(t.rows, []cell{integer(i + 1), txt(e.CreditCode), txt(e.Name), txt(v.town(e.TownCode)),
			integer(e.Score), txt(v.level(e.Level)), integer(e.Events), integer(e.Trend)})
	}
	out = append(out, t)

	t = table{key: "red", header: v.col("ticket", "credit_code", "enterprise", "category", "status", "tier", "rules")}
	for _, r := range s.Red {
		t.rows = append(t.rows, []cell{integer(int(r.TicketID)), txt(r.Enterprise), txt(r.Name), txt(v.category(r.Category)),
			txt(v.status(r.Status)), txt(v.tier(r.Tier)), txt(strings.Join(r.Rules, v.ruleSep()))})
	}
	out = append(out, t)

	t = table{key: "trend", header: v.col("week")}
	for _, l := range gridwarn.Levels {
		t.header = append(t.header, v.levelShort(l))
	}
	t.header = append(t.header, v.l["col.total"])
	for _, wl := range s.Trend {
		r := []cell{txt(wl.ISO)}
		for _, l := range gridwarn.Levels {
			r = append(r, integer(wl.ByLevel[l]))
		}
		t.rows = append(t.rows, append(r, integer(sumLevels(wl.ByLevel))))
	}
	out = append(out, t)
	return append(out, v.hotlineTable())
}

// hotlineTable is the 12351 hotline's rows: the cases filed in the span by
// intake type, those answered on the call, by class and by where they
// stand, the collective ones and those from a city or province platform.
// A summary built before the hotline had its rows has none.
func (v *view) hotlineTable() table {
	t := table{key: "hotline", header: v.col("item", "cases")}
	h := v.s.Hotline
	if h == nil {
		return t
	}
	add := func(key string, n int) { t.rows = append(t.rows, []cell{txt(v.l[key]), integer(n)}) }
	add("hotline.total", h.Total)
	for _, it := range gridwarn.IntakeTypes {
		add("hotline.intake."+string(it), h.ByIntakeType[it])
	}
	add("hotline.answered_on_call", h.AnsweredOnCall)
	for _, c := range gridwarn.CaseClasses {
		add("hotline.class."+string(c), h.ByClass[c])
	}
	for _, s := range gridwarn.HotlineStatuses {
		add("hotline.status."+string(s), h.ByStatus[s])
	}
	add("hotline.collective", h.Collective)
	add("hotline.platform_orders", h.PlatformOrders)
	return t
}

// hotlineKeys are the catalogue keys of the hotline's rows.
func hotlineKeys() []string {
	keys := []string{"hotline.total", "hotline.answered_on_call", "hotline.collective", "hotline.platform_orders"}
	for _, it := range gridwarn.IntakeTypes {
		keys = append(keys, "hotline.intake."+string(it))
	}
	for _, c := range gridwarn.CaseClasses {
		keys = append(keys, "hotline.class."+string(c))
	}
	for _, s := range gridwarn.HotlineStatuses {
		keys = append(keys, "hotline.status."+string(s))
	}
	return keys
}

func (v *view) ruleSep() string {
	if v.lang == "zh" {
		return "；"
	}
	return "; "
}

// timeLimits are the summary's tiers from enterprise up, unknown tiers
// last.
func (v *view) timeLimits() []gridwarn.TierLimitsMet {
	out := slices.Clone(v.s.TimeLimits)
	rank := func(t gridwarn.Tier) int {
		if r := t.Rank(); r > 0 {
			return r
		}
		return len(gridwarn.Tiers) + 1
	}
	slices.SortStableFunc(out, func(a, b gridwarn.TierLimitsMet) int { return rank(a.Tier) - rank(b.Tier) })
	return out
}

// title is the document title, e.g. "射阳县 劳动关系风险周报 2026-W47".
func (v *view) title() string {
	parts := []string{}
	if v.s.UnitName != "" {
		parts = append(parts, v.s.UnitName)
	}
	parts = append(parts, v.l["title"])
	if v.iso != "" {
		parts = append(parts, v.iso)
	}
	return strings.Join(parts, " ")
}
