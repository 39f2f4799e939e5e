package web

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/summary"
)

// The leader's pages of the union's standing work (issue 16): the visits'
// coverage of a unit in a month, a quarter or a year; the unionization
// circulars; the monthly pushes and quarterly analyses, each readable in
// the console and downloadable as HTML, XLSX and CSV (internal/summary's
// renderers, the API's).

func (s *server) standingRoutes(g *gin.RouterGroup) {
	g.GET("/coverage", s.allow(authz.ReadVisits), s.coveragePage)
	g.GET("/circulars", s.allow(authz.ReadSummaries), s.circularsPage)
	g.GET("/circulars/:period", s.allow(authz.ReadSummaries), s.circularPage)
	g.GET("/circulars/:period/:format", s.allow(authz.ReadSummaries), s.circularFile)
	g.GET("/periods/:period", s.allow(authz.ReadSummaries), s.periodPage)
	g.GET("/periods/:period/:format", s.allow(authz.ReadSummaries), s.periodFile)
}

// unitNames names the units v sees in the page's language.
func (s *server) unitNames(c *gin.Context, v gridwarn.Visibility) (map[string]string, []gridwarn.Unit, error) {
	names := map[string]string{}
	if s.svc.Registry == nil {
		return names, nil, nil
	}
	units, err := s.svc.Registry.Units(c.Request.Context(), v)
	if err != nil {
		return nil, nil, err
	}
	l := lang(c)
	for _, u := range units {
		names[u.Code] = u.NameZH
		if l == "en" && u.NameEN != "" {
			names[u.Code] = u.NameEN
		}
	}
	return names, units, nil
}

// coverageView is the data of templates/coverage.html.
type coverageView struct {
	R      *gridwarn.CoverageReport
	Unit   string // as asked ("" the caller's scope)
	Period string
	Units  []gridwarn.Unit
	Names  map[string]string
	// Quick picks: this month, this quarter, this year.
	Month, Quarter, Year string
	Rows                 []coverageRow
}

// coverageRow is a unit's line of the page.
type coverageRow struct {
	gridwarn.Coverage
	Name  string
	Total bool
}

var placeRE = regexp.MustCompile(`^[0-9]{6}([0-9]{3})?$|^[0-9]{9}-[PIJ][0-9]{2,}$`)

// GET /ui/coverage?unit=&period= — the share of the unit's enterprises
// (and of its key enterprises, separately) visited in the period, against
// the configured targets, and that of its parts (towns, or grids).
func (s *server) coveragePage(c *gin.Context) {
	if s.svc.Visits == nil {
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "visits are not available"))
		return
	}
	now := s.now()
	v := coverageView{Unit: c.Query("unit"), Period: c.Query("period"),
		Month: gridwarn.PeriodOf(gridwarn.PeriodMonth, now, s.loc).Key, Quarter: gridwarn.PeriodOf(gridwarn.PeriodQuarter, now, s.loc).Key,
		Year: gridwarn.PeriodOf(gridwarn.PeriodYear, now, s.loc).Key}
	l := lang(c)
	var fields []gridwarn.FieldError
	if v.Unit != "" && !placeRE.MatchString(v.Unit) {
		fields = append(fields, gridwarn.FieldError{Field: "unit", Message: catalogue[l]["cov.bad_unit"]})
	}
	p := gridwarn.PeriodOf(gridwarn.PeriodMonth, now, s.loc)
	if v.Period != "" {
		var err error
		if p, err = gridwarn.ParsePeriod(v.Period); err != nil {
			fields = append(fields, gridwarn.FieldError{Field: "period", Message: catalogue[l]["cov.bad_period"]})
		}
	}
	if len(fields) > 0 {
		s.fail(c, gridwarn.Invalid(catalogue[l]["error.invalid"], fields...))
		return
	}
	v.Period = p.Key
	var t gridwarn.CoverageTarget
	if s.opt.CoverageTargets != nil {
		t = s.opt.CoverageTargets(p.Kind)
	}
	vis := visibility(c)
	r, err := s.svc.Visits.Coverage(c.Request.Context(), vis, v.Unit, p, t)
	if err != nil {
		s.fail(c, err)
		return
	}
	v.R = r
	if v.Names, v.Units, err = s.unitNames(c, authz.Visibility(principal(c), authz.ReadRegistry)); err != nil {
		s.fail(c, err)
		return
	}
	for _, part := range r.Parts {
		v.Rows = append(v.Rows, coverageRow{Coverage: part, Name: v.Names[part.Unit]})
	}
	v.Rows = append(v.Rows, coverageRow{Coverage: r.Coverage, Name: v.Names[r.Unit], Total: true})
	s.render(c, http.StatusOK, "coverage", "cov.title", v)
}

// reportLists are the stored reports of every cadence, for the list page.
type reportLists struct {
	Weekly     []summaryRow
	Monthly    []periodRow
	Quarterly  []periodRow
	Circulars  []periodRow
	PeriodsErr bool
}

// periodRow is a stored monthly or quarterly report or circular.
type periodRow struct {
	gridwarn.ReportInfo
	UnitName string
}

func (s *server) periodRows(list []gridwarn.ReportInfo, names map[string]string) []periodRow {
	out := make([]periodRow, len(list))
	for i, r := range list {
		out[i] = periodRow{ReportInfo: r, UnitName: names[r.UnitCode]}
	}
	return out
}

// GET /ui/circulars — the stored unionization circulars of my scope.
func (s *server) circularsPage(c *gin.Context) {
	v := visibility(c)
	list, err := s.svc.Circulars.UnionCirculars(c.Request.Context(), v, maxSummaries)
	if err != nil {
		s.fail(c, err)
		return
	}
	names, _, err := s.unitNames(c, v)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "circulars", "circ.list_title", s.periodRows(list, names))
}

var circularKeyRE = regexp.MustCompile(`^[0-9]{4}-([0-9]{2}|Q[1-4])$`)

// reportUnit is the ?unit= of a report page: by default the caller's own
// town, or county (as the API).
func (s *server) reportUnit(c *gin.Context) (string, []gridwarn.FieldError) {
	unit := c.Query("unit")
	if unit == "" {
		p := principal(c)
		if p.Scope.Kind == gridwarn.ScopeTown {
			return p.Scope.UnitCode, nil
		}
		return gridwarn.CountyOf(p.Scope.UnitCode), nil
	}
	if !unitRE.MatchString(unit) {
		return unit, []gridwarn.FieldError{{Field: "unit", Message: catalogue[lang(c)]["sum.bad_unit"]}}
	}
	return unit, nil
}

// circular reads the circular the request names.
func (s *server) circular(c *gin.Context) (*gridwarn.UnionCircular, bool) {
	period := c.Param("period")
	unit, fields := s.reportUnit(c)
	if _, err := gridwarn.ParsePeriod(period); err != nil || !circularKeyRE.MatchString(period) {
		fields = append(fields, gridwarn.FieldError{Field: "period", Message: catalogue[lang(c)]["circ.bad_period"]})
	}
	if len(fields) > 0 {
		s.fail(c, gridwarn.Invalid(catalogue[lang(c)]["error.invalid"], fields...))
		return nil, false
	}
	circ, err := s.svc.Circulars.UnionCircular(c.Request.Context(), visibility(c), unit, period)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return circ, true
}

// docView is the data of templates/document.html: a stored report read
// in a frame, with its downloads.
type docView struct {
	Title, Back, BackKey, Base, Unit string
}

// GET /ui/circulars/:period?unit= — a circular in a frame, with its
// print view and downloads.
func (s *server) circularPage(c *gin.Context) {
	circ, ok := s.circular(c)
	if !ok {
		return
	}
	key := "circ.title_month"
	if strings.Contains(circ.Period, "Q") {
		key = "circ.title_quarter"
	}
	title := circ.UnitName + " " + catalogue[lang(c)][key] + " " + circ.Period
	s.render(c, http.StatusOK, "document", "circ.page_title", docView{Title: title, Back: "/ui/summaries#circulars", BackKey: "doc.back",
		Base: "/ui/circulars/" + circ.Period, Unit: circ.UnitCode})
}

// GET /ui/circulars/:period/report|xlsx|csv?unit=
func (s *server) circularFile(c *gin.Context) {
	format := c.Param("format")
	if format != "report" && format != "xlsx" && format != "csv" {
		s.fail(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "no such page"))
		return
	}
	circ, ok := s.circular(c)
	if !ok {
		return
	}
	l := lang(c)
	s.document(c, format, "union-circular-"+circ.UnitCode+"-"+circ.Period, func(w io.Writer) error {
		switch format {
		case "report":
			return summary.CircularHTML(w, circ, l)
		case "xlsx":
			return summary.CircularXLSX(w, circ, l)
		}
		return summary.CircularCSV(w, circ)
	})
}

// document writes a report rendered by render: "report" as a page under
// the summary's policy (framed by the console, printed on its own), xlsx
// and csv as downloads named name.
func (s *server) document(c *gin.Context, format, name string, render func(io.Writer) error) {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		s.fail(c, err)
		return
	}
	switch format {
	case "report":
		c.Header("Content-Security-Policy", summary.HTMLPolicy)
		c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
	case "xlsx":
		c.Header("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
	default:
		c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	}
}

// periodReport reads the monthly or quarterly report the request names.
func (s *server) periodReport(c *gin.Context) (*gridwarn.PeriodReport, bool) {
	period := c.Param("period")
	unit, fields := s.reportUnit(c)
	if p, err := gridwarn.ParsePeriod(period); err != nil || !circularKeyRE.MatchString(period) ||
		(p.Kind != gridwarn.PeriodMonth && p.Kind != gridwarn.PeriodQuarter) {
		fields = append(fields, gridwarn.FieldError{Field: "period", Message: catalogue[lang(c)]["circ.bad_period"]})
	}
	if len(fields) > 0 {
		s.fail(c, gridwarn.Invalid(catalogue[lang(c)]["error.invalid"], fields...))
		return nil, false
	}
	r, err := s.svc.PeriodReports.PeriodReport(c.Request.Context(), visibility(c), unit, period)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return r, true
}

// GET /ui/periods/:period?unit= — a monthly push (2026-11) or a quarterly
// analysis (2026-Q4) in a frame, with its print view and downloads.
func (s *server) periodPage(c *gin.Context) {
	r, ok := s.periodReport(c)
	if !ok {
		return
	}
	key := "period.title_month"
	if r.Kind == gridwarn.PeriodQuarter {
		key = "period.title_quarter"
	}
	title := r.UnitName + " " + catalogue[lang(c)][key] + " " + r.Period
	s.render(c, http.StatusOK, "document", "period.page_title", docView{Title: title, Back: "/ui/summaries#" + string(r.Kind),
		BackKey: "doc.back", Base: "/ui/periods/" + r.Period, Unit: r.UnitCode})
}

// GET /ui/periods/:period/report|xlsx|csv?unit=
func (s *server) periodFile(c *gin.Context) {
	format := c.Param("format")
	if format != "report" && format != "xlsx" && format != "csv" {
		s.fail(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "no such page"))
		return
	}
	r, ok := s.periodReport(c)
	if !ok {
		return
	}
	l := lang(c)
	s.document(c, format, "report-"+r.UnitCode+"-"+r.Period, func(w io.Writer) error {
		switch format {
		case "report":
			return summary.PeriodHTML(w, r, l)
		case "xlsx":
			return summary.PeriodXLSX(w, r, l)
		}
		return summary.PeriodCSV(w, r, l)
	})
}
