package api

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/csvio"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/summary"
)

// placeCodeRE is a county, town or grid code.
var placeCodeRE = regexp.MustCompile(`^[0-9]{6}([0-9]{3})?$|^[0-9]{9}-[PIJ][0-9]{2,}$`)

// visitBody is what a visitor sets; where the enterprise lies, who visited
// and when it was stored come from the server.
type visitBody struct {
	ID         string             `json:"id"`
	Enterprise string             `json:"enterprise"`
	VisitedOn  string             `json:"visited_on"`
	Kind       gridwarn.VisitKind `json:"kind"`
	PeopleMet  string             `json:"people_met"`
	Findings   string             `json:"findings"`
	TicketID   *int64             `json:"ticket_id"`
	ReportID   string             `json:"report_id"`
}

// POST /api/v1/visits — 201 with the visit, 200 when the same id was
// already recorded with the same content (a re-sent form).
func (s *server) recordVisit(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	var b visitBody
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	v, created, err := s.svc.Visits.RecordVisit(c.Request.Context(), principal(c), gridwarn.Visit{ID: b.ID,
		Enterprise: b.Enterprise, VisitedOn: b.VisitedOn, Kind: b.Kind, PeopleMet: b.PeopleMet, Findings: b.Findings,
		TicketID: b.TicketID, ReportID: b.ReportID})
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	respond(c, status, v, err)
}

// period reads "period" (2026-11, 2026-Q4, 2026); absent: this month on
// the county's calendar.
func (s *server) period(q *query) gridwarn.Period {
	raw := q.get("period")
	if raw == "" {
		return gridwarn.PeriodOf(gridwarn.PeriodMonth, s.now(), s.loc)
	}
	p, err := gridwarn.ParsePeriod(raw)
	if err != nil {
		for _, f := range gridwarn.ErrorFields(err) {
			q.fail(f.Field, f.Rule, f.Message)
		}
	}
	return p
}

// GET /api/v1/visits?unit=&period=&enterprise=&limit= — newest first.
func (s *server) listVisits(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "unit", "period", "enterprise", "limit")
	f := gridwarn.VisitFilter{Unit: q.match("unit", placeCodeRE, "must be a county, town or grid code"),
		Enterprise: q.match("enterprise", enterpriseCode, "must be an 18-character unified social credit code"), Limit: q.limit()}
	if q.get("period") != "" {
		f.Period = s.period(q)
	}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	items, err := s.svc.Visits.Visits(c.Request.Context(), visibility(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gridwarn.Page[gridwarn.Visit]{Items: nonNil(items)})
}

// GET /api/v1/coverage?unit=&period= — the share of the unit's enterprises
// visited in the period, against the configured targets.
func (s *server) coverage(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "unit", "period")
	unit := q.match("unit", placeCodeRE, "must be a county, town or grid code")
	p := s.period(q)
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	rep, err := s.svc.Visits.Coverage(c.Request.Context(), visibility(c), unit, p, s.targets(p.Kind))
	respond(c, http.StatusOK, rep, err)
}

// clock defaults for the server.
func (o Options) clock() (func() time.Time, *time.Location) {
	now, loc := o.Now, o.Location
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc, _ = time.LoadLocation("Asia/Shanghai")
	}
	return now, loc
}

// PUT /api/v1/enterprises/{code}/union — the union status (administrators
// of the enterprise's scope); the change is kept in the history.
func (s *server) putUnionStatus(c *gin.Context) {
	code := c.Param("code")
	if err := gridwarn.ValidateCreditCode(code); err != nil {
		writeError(c, gridwarn.Invalid("invalid credit code", gridwarn.FieldError{Field: "code", Rule: "credit_code", Message: err.Error()}))
		return
	}
	var u gridwarn.UnionStatus
	if err := decodeJSON(c, s.maxBodyBytes, &u); err != nil {
		writeError(c, err)
		return
	}
	e, err := s.svc.Union.PutUnionStatus(c.Request.Context(), visibility(c), code, u)
	respond(c, http.StatusOK, e, err)
}

// GET /api/v1/unionization?unit= — the enterprises that should have a
// union and do not, with the reason, on the county's today.
func (s *server) unionization(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "unit")
	unit := q.match("unit", placeCodeRE, "must be a county, town or grid code")
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	l, err := s.svc.Union.Unionization(c.Request.Context(), visibility(c), unit)
	respond(c, http.StatusOK, l, err)
}

// GET /api/v1/visits/overdue?unit= — the enterprises past due a visit.
func (s *server) overdueVisits(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "unit")
	unit := q.match("unit", placeCodeRE, "must be a county, town or grid code")
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	items, err := s.svc.Visits.OverdueVisits(c.Request.Context(), visibility(c), unit)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gridwarn.Page[gridwarn.OverdueVisit]{Items: nonNil(items)})
}

// POST /api/v1/enterprises/union/import?as_of=&dry_run= — a union status
// file (text/csv, English or Chinese headers) of a day; all rows or none.
func (s *server) importUnionStatus(c *gin.Context) {
	csvImportAsOf(c, s, csvio.ReadUnionStatus, s.svc.Union.ImportUnionStatus, true)
}

var circularPeriodRE = regexp.MustCompile(`^[0-9]{4}-([0-9]{2}|Q[1-4])$`)

// GET /api/v1/circulars/unionization — the stored circulars of the
// caller's scope, newest month first.
func (s *server) listCirculars(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "limit")
	limit := q.limit()
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	items, err := s.svc.Circulars.UnionCirculars(c.Request.Context(), visibility(c), limit)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gridwarn.Page[gridwarn.ReportInfo]{Items: nonNil(items)})
}

// GET /api/v1/circulars/unionization/{period}?unit=&format=json|html|csv|xlsx&lang=zh|en
// — a month's circular (2026-11) or a quarter's summary (2026-Q4).
func (s *server) circular(c *gin.Context) {
	period := c.Param("period")
	q := parseQuery(c.Request.URL.RawQuery, "unit", "format", "lang")
	if _, err := gridwarn.ParsePeriod(period); err != nil || !circularPeriodRE.MatchString(period) {
		q.fail("period", "period", "must be a month such as 2026-11 or a quarter such as 2026-Q4")
	}
	unit := s.unitParam(c, q)
	format := enumParam(q, "format", []string{"json", "html", "csv", "xlsx"})
	lang := enumParam(q, "lang", []string{"zh", "en"})
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	circ, err := s.svc.Circulars.UnionCircular(c.Request.Context(), visibility(c), unit, period)
	if err != nil {
		writeError(c, err)
		return
	}
	if format == "" || format == "json" {
		c.JSON(http.StatusOK, circ)
		return
	}
	writeDocument(c, format, "union-circular-"+circ.UnitCode+"-"+circ.Period, func(w io.Writer) error {
		switch format {
		case "html":
			return summary.CircularHTML(w, circ, lang)
		case "xlsx":
			return summary.CircularXLSX(w, circ, lang)
		}
		return summary.CircularCSV(w, circ)
	})
}

// writeDocument renders a report as format (html, csv or xlsx): HTML under
// the summary's policy, the others as downloads named name.
func writeDocument(c *gin.Context, format, name string, render func(io.Writer) error) {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		writeError(c, err)
		return
	}
	ctype := map[string]string{"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8",
		"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[format]
	if format == "html" {
		c.Header("Content-Security-Policy", summary.HTMLPolicy)
	} else {
		c.Header("Content-Disposition", `attachment; filename="`+name+`.`+format+`"`)
	}
	c.Data(http.StatusOK, ctype, buf.Bytes())
}

// GET /api/v1/summaries/monthly, /summaries/quarterly — the stored reports
// of the caller's scope, newest first.
func (s *server) listReports(kind gridwarn.PeriodKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := parseQuery(c.Request.URL.RawQuery, "limit")
		limit := q.limit()
		if err := q.err(); err != nil {
			writeError(c, err)
			return
		}
		items, err := s.svc.PeriodReports.PeriodReports(c.Request.Context(), visibility(c), kind, limit)
		if err != nil {
			writeError(c, err)
			return
		}
		c.JSON(http.StatusOK, gridwarn.Page[gridwarn.ReportInfo]{Items: nonNil(items)})
	}
}

// GET /api/v1/summaries/monthly/{period}?unit=&format=&lang=, /summaries/quarterly/{period}?unit=&format=&lang=
func (s *server) periodReport(kind gridwarn.PeriodKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		period := c.Param("period")
		q := parseQuery(c.Request.URL.RawQuery, "unit", "format", "lang")
		if p, err := gridwarn.ParsePeriod(period); err != nil || p.Kind != kind || !circularPeriodRE.MatchString(period) {
			example := "a month such as 2026-11"
			if kind == gridwarn.PeriodQuarter {
				example = "a quarter such as 2026-Q4"
			}
			q.fail("period", "period", "must be "+example)
		}
		unit := s.unitParam(c, q)
		format := enumParam(q, "format", []string{"json", "html", "csv", "xlsx"})
		lang := enumParam(q, "lang", []string{"zh", "en"})
		if err := q.err(); err != nil {
			writeError(c, err)
			return
		}
		r, err := s.svc.PeriodReports.PeriodReport(c.Request.Context(), visibility(c), unit, period)
		if err != nil || format == "" || format == "json" {
			respond(c, http.StatusOK, r, err)
			return
		}
		writeDocument(c, format, "report-"+r.UnitCode+"-"+r.Period, func(w io.Writer) error {
			switch format {
			case "html":
				return summary.PeriodHTML(w, r, lang)
			case "xlsx":
				return summary.PeriodXLSX(w, r, lang)
			}
			return summary.PeriodCSV(w, r, lang)
		})
	}
}

// unitParam reads "unit" (a county or town code), by default the caller's
// town, or county.
func (s *server) unitParam(c *gin.Context, q *query) string {
	unit := q.match("unit", unitCodeRE, "must be a 6- or 9-digit unit code")
	if unit == "" {
		if p := principal(c); p.Scope.Kind == gridwarn.ScopeTown {
			unit = p.Scope.UnitCode
		} else {
			unit = gridwarn.CountyOf(p.Scope.UnitCode)
		}
	}
	return unit
}
