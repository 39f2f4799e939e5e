package web

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/summary"
)

// leaderMessages are the catalogue entries of these pages.
var leaderMessages = []message{
	{"dash.title", "总览", "Dashboard"},
	{"dash.as_of", "截至 %s · 本周 %s", "As of %s · week %s"},
	{"dash.open", "在办工单", "Open tickets"},
	{"dash.overdue", "超时工单", "Overdue tickets"},
	{"dash.new_week", "本周新增", "New this week"},
	{"dash.by_level", "在办工单（按等级）", "Open tickets by level"},
	{"dash.by_tier", "在办工单（按层级）", "Open tickets by tier"},
	{"dash.red", "红色工单", "Red tickets"},
	{"dash.red_none", "没有在办的红色工单。", "No open red ticket."},
	{"dash.overdue_none", "没有超时工单。", "No overdue ticket."},
	{"dash.first_of", "仅列出前 %d 条，共 %d 条。", "The first %d of %d."},
	{"dash.towns", "各镇（街道）对比", "Towns compared"},
	{"dash.towns_open", "在办（按等级）", "Open by level"},
	{"dash.trend", "近 8 周预警趋势", "Warnings in the last 8 weeks"},
	{"dash.trend_note", "按等级统计每周发生的事件（ISO 周，北京时间）；本周截至目前。",
		"Events by level in the ISO week they occurred (China time); this week so far."},
	{"dash.trend_label", "近 8 周各等级事件数", "Events by level, last 8 weeks"},
	{"dash.opened", "立单时间", "Opened"},
	{"dash.overdue_since", "超时", "Overdue"},
	{"dash.open_col", "在办", "Open"},
	{"dash.summaries", "查看周报", "Weekly summaries"},
	{"dash.visits", "走访", "Visits"},
	{"dash.coverage", "%s 走访覆盖率：全部企业", "Visits' coverage in %s: all enterprises"},
	{"dash.coverage_link", "查看覆盖率", "Coverage"},

	{"sum.list_title", "报告", "Reports"},
	{"sum.none", "还没有生成周报。周报在每周一为上一周生成。", "No summary yet. Summaries are built every Monday for the week before."},
	{"sum.title", "周报 %s · %s", "Weekly summary %s · %s"},
	{"sum.page_title", "周报", "Weekly summary"},
	{"sum.xlsx", "下载 Excel", "Download Excel"},
	{"sum.csv", "下载 CSV", "Download CSV"},
	{"sum.print", "打印版", "Print view"},
	{"sum.back", "返回周报列表", "All summaries"},
	{"sum.frame", "周报内容", "The summary"},
	{"sum.bad_week", "周次应为 ISO 周，例如 2026-W47", "the week must be an ISO week such as 2026-W47"},
	{"sum.bad_unit", "单位代码应为 6 位或 9 位数字", "the unit must be a 6- or 9-digit code"},
}

func (s *server) leaderRoutes(g *gin.RouterGroup) {
	g.GET("/dashboard", s.allow(authz.ReadSummaries), s.dashboardPage)
	g.GET("/summaries", s.allow(authz.ReadSummaries), s.summariesPage)
	g.GET("/summaries/:week", s.allow(authz.ReadSummaries), s.summaryPage)
	g.GET("/summaries/:week/report", s.allow(authz.ReadSummaries), s.summaryReport)
	g.GET("/summaries/:week/xlsx", s.allow(authz.ReadSummaries), s.summaryFile("xlsx"))
	g.GET("/summaries/:week/csv", s.allow(authz.ReadSummaries), s.summaryFile("csv"))
	s.standingRoutes(g)
}

// levelsDown are the levels, most severe first.
var levelsDown = func() []gridwarn.Level {
	l := slices.Clone(gridwarn.Levels)
	slices.Reverse(l)
	return l
}()

// dashboardView is the dashboard page's data.
type dashboardView struct {
	D      *gridwarn.Dashboard
	Levels []gridwarn.Level // most severe first
	Tiers  []gridwarn.Tier
	Trend  *summary.Chart
	Towns  map[string]string // town code → name in the page's language
	Max    int               // the lists' bound
	// The lists' rows, and the number of open red tickets.
	Red, Overdue []boardRow
	RedCount     int
	// The visits: the enterprises past due one, and this month's
	// coverage (nil without the visit service).
	Visits   overdueView
	Coverage *gridwarn.CoverageReport
}

// boardRow is a ticket of a dashboard list with its town's name in the
// page's language; ShowOverdue says the list is the overdue one (its last
// column says for how long).
type boardRow struct {
	gridwarn.BoardTicket
	Town        string
	ShowOverdue bool
}

// GET /ui/dashboard — the open tickets of my scope now.
func (s *server) dashboardPage(c *gin.Context) {
	if s.svc.Dashboard == nil {
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "the dashboard is not available"))
		return
	}
	d, err := s.svc.Dashboard.Dashboard(c.Request.Context(), visibility(c), s.now().In(s.loc))
	if err != nil {
		s.fail(c, err)
		return
	}
	l := lang(c)
	v := dashboardView{D: d, Levels: levelsDown, Tiers: gridwarn.Tiers, Towns: map[string]string{}, Max: gridwarn.DashboardListMax,
		Trend: trendChart(d.Trend, l)}
	for _, t := range d.Towns {
		v.Towns[t.Code] = townName(t, l)
	}
	row := func(t gridwarn.BoardTicket, overdue bool) boardRow {
		r := boardRow{BoardTicket: t, Town: v.Towns[t.TownCode], ShowOverdue: overdue}
		if r.Town == "" {
			r.Town = t.TownName
		}
		return r
	}
	for _, t := range d.Red {
		v.Red = append(v.Red, row(t, false))
	}
	for _, t := range d.OverdueList {
		v.Overdue = append(v.Overdue, row(t, true))
	}
	v.RedCount = d.OpenByLevel[gridwarn.LevelRed]
	if s.svc.Visits != nil {
		vv := authz.Visibility(principal(c), authz.ReadVisits)
		if v.Visits, err = s.overdue(c, vv); err != nil {
			s.fail(c, err)
			return
		}
		month := gridwarn.PeriodOf(gridwarn.PeriodMonth, s.now(), s.loc)
		var t gridwarn.CoverageTarget
		if s.opt.CoverageTargets != nil {
			t = s.opt.CoverageTargets(month.Kind)
		}
		if v.Coverage, err = s.svc.Visits.Coverage(c.Request.Context(), vv, "", month, t); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.render(c, http.StatusOK, "dashboard", "dash.title", v)
}

// townName is a town's name in the page's language.
func townName(t gridwarn.BoardTown, lang string) string {
	if lang == "en" && t.NameEN != "" {
		return t.NameEN
	}
	return t.Name
}

// maxSummaries bounds the list of summaries (16 a week for a county of
// 15 towns: about three months).
const maxSummaries = 200

type summaryRow struct {
	gridwarn.SummaryInfo
	UnitName string
}

// GET /ui/summaries — the stored summaries of my scope, newest week first.
func (s *server) summariesPage(c *gin.Context) {
	ctx := c.Request.Context()
	v := visibility(c)
	list, err := s.svc.Summaries.WeeklySummaries(ctx, v, maxSummaries)
	if err != nil {
		s.fail(c, err)
		return
	}
	names := map[string]string{}
	if s.svc.Registry != nil && len(list) > 0 {
		units, err := s.svc.Registry.Units(ctx, v)
		if err != nil {
			s.fail(c, err)
			return
		}
		l := lang(c)
		for _, u := range units {
			names[u.Code] = u.NameZH
			if l == "en" && u.NameEN != "" {
				names[u.Code] = u.NameEN
			}
		}
	}
	rows := make([]summaryRow, len(list))
	for i, si := range list {
		rows[i] = summaryRow{SummaryInfo: si, UnitName: names[si.UnitCode]}
	}
	// The three cadences of seed 002 and the unionization circulars.
	lists := reportLists{Weekly: rows}
	if s.svc.PeriodReports != nil && s.svc.Circulars != nil {
		if len(names) == 0 {
			if names, _, err = s.unitNames(c, v); err != nil {
				s.fail(c, err)
				return
			}
		}
		for _, k := range []gridwarn.PeriodKind{gridwarn.PeriodMonth, gridwarn.PeriodQuarter} {
			l, err := s.svc.PeriodReports.PeriodReports(ctx, v, k, maxSummaries)
			if err != nil {
				s.fail(c, err)
				return
			}
			if k == gridwarn.PeriodMonth {
				lists.Monthly = s.periodRows(l, names)
			} else {
				lists.Quarterly = s.periodRows(l, names)
			}
		}
		circs, err := s.svc.Circulars.UnionCirculars(ctx, v, maxSummaries)
		if err != nil {
			s.fail(c, err)
			return
		}
		lists.Circulars = s.periodRows(circs, names)
	}
	s.render(c, http.StatusOK, "summaries", "sum.list_title", lists)
}

var unitRE = regexp.MustCompile(`^[0-9]{6}([0-9]{3})?$`)

// weeklySummary reads the summary the request names: the week in the
// path, the unit in ?unit= (default: the caller's own unit, as the API).
func (s *server) weeklySummary(c *gin.Context) (*gridwarn.WeeklySummary, bool) {
	week, unit := c.Param("week"), c.Query("unit")
	var fields []gridwarn.FieldError
	l := lang(c)
	if _, err := isoweek.Parse(week); err != nil {
		fields = append(fields, gridwarn.FieldError{Field: "week", Message: catalogue[l]["sum.bad_week"]})
	}
	if unit == "" {
		p := principal(c)
		if p.Scope.Kind == gridwarn.ScopeTown {
			unit = p.Scope.UnitCode
		} else {
			unit = gridwarn.CountyOf(p.Scope.UnitCode)
		}
	} else if !unitRE.MatchString(unit) {
		fields = append(fields, gridwarn.FieldError{Field: "unit", Message: catalogue[l]["sum.bad_unit"]})
	}
	if len(fields) > 0 {
		s.fail(c, gridwarn.Invalid(catalogue[l]["error.invalid"], fields...))
		return nil, false
	}
	sum, err := s.svc.Summaries.WeeklySummary(c.Request.Context(), visibility(c), unit, week)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return sum, true
}

// summaryView is the summary page's data.
type summaryView struct {
	S *gridwarn.WeeklySummary
}

// GET /ui/summaries/:week?unit= — one week's summary: its HTML report in a
// frame (the report is a document of its own, with its own styles), the
// print view and the downloads.
func (s *server) summaryPage(c *gin.Context) {
	sum, ok := s.weeklySummary(c)
	if !ok {
		return
	}
	s.render(c, http.StatusOK, "summary", "sum.page_title", summaryView{S: sum})
}

// GET /ui/summaries/:week/report?unit= — the summary as the API's HTML
// (internal/summary's renderer), in the console's language: framed by the
// summary page, printed on its own.
func (s *server) summaryReport(c *gin.Context) {
	sum, ok := s.weeklySummary(c)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := summary.HTML(&buf, sum, lang(c)); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Security-Policy", summary.HTMLPolicy)
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// GET /ui/summaries/:week/xlsx|csv?unit= — the summary as a download.
func (s *server) summaryFile(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		sum, ok := s.weeklySummary(c)
		if !ok {
			return
		}
		var (
			buf   bytes.Buffer
			err   error
			ctype string
		)
		switch format {
		case "xlsx":
			err, ctype = summary.XLSX(&buf, sum, lang(c)), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		default:
			err, ctype = summary.CSV(&buf, sum, lang(c)), "text/csv; charset=utf-8"
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="summary-`+sum.UnitCode+"-"+sum.ISO+"."+format+`"`)
		c.Data(http.StatusOK, ctype, buf.Bytes())
	}
}

// trendChart is the dashboard's trend (svg#trend), laid out as the weekly
// summary lays out its own, in the page's language. It has axes even
// without weeks.
func trendChart(weeks []gridwarn.WeekLevels, l string) *summary.Chart {
	c := summary.TrendChart(weeks, catalogue[l], 640, 240)
	c.Label = catalogue[l]["dash.trend_label"]
	return c
}
