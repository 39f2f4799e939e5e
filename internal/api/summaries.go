package api

import (
	"bytes"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/summary"
)

var weekRE = regexp.MustCompile(`^[0-9]{4}-W[0-9]{2}$`)

// GET /api/v1/summaries/weekly — the stored summaries of the caller's scope.
func (s *server) listSummaries(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "limit")
	limit := q.limit()
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	items, err := s.svc.Summaries.WeeklySummaries(c.Request.Context(), visibility(c), limit)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gridwarn.Page[gridwarn.SummaryInfo]{Items: nonNil(items)})
}

// GET /api/v1/summaries/weekly/{week}?unit=&format=json|html|csv|xlsx&lang=zh|en
func (s *server) weeklySummary(c *gin.Context) {
	week := c.Param("week")
	q := parseQuery(c.Request.URL.RawQuery, "unit", "format", "lang")
	if _, err := isoweek.Parse(week); err != nil || !weekRE.MatchString(week) {
		q.fail("week", "week", "must be an ISO week such as 2026-W47")
	}
	unit := s.unitParam(c, q)
	format := enumParam(q, "format", []string{"json", "html", "csv", "xlsx"})
	lang := enumParam(q, "lang", []string{"zh", "en"})
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	sum, err := s.svc.Summaries.WeeklySummary(c.Request.Context(), visibility(c), unit, week)
	if err != nil {
		writeError(c, err)
		return
	}
	var (
		buf   bytes.Buffer
		ctype string
		name  = "summary-" + unit + "-" + week
	)
	switch format {
	case "", "json":
		c.JSON(http.StatusOK, sum)
		return
	case "html":
		err, ctype = summary.HTML(&buf, sum, lang), "text/html; charset=utf-8"
		c.Header("Content-Security-Policy", summary.HTMLPolicy)
	case "csv":
		err, ctype = summary.CSV(&buf, sum, lang), "text/csv; charset=utf-8"
		c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	case "xlsx":
		err, ctype = summary.XLSX(&buf, sum, lang), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		c.Header("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.Data(http.StatusOK, ctype, buf.Bytes())
}
