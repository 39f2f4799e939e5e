package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The visits' pages: a grid worker records a visit on the phone (the
// report form's pattern: the id is minted when the form opens, and
// static/visit.js keeps the visit in the browser until the server confirms
// it), files a report from it, and sees which enterprises of their grids
// are past due a visit.

func (s *server) visitRoutes(g *gin.RouterGroup) {
	g.GET("/visits", s.allow(authz.ReadVisits), s.visitsPage)
	g.GET("/visits/new", s.allow(authz.RecordVisits), s.newVisitPage)
	g.POST("/visits", s.allow(authz.RecordVisits), s.recordVisit)
}

const (
	// visitsLimit is how many visits the list shows.
	visitsLimit = 50
	// overdueShown is how many overdue enterprises a page lists.
	overdueShown = 20
)

// visitsView is the data of templates/visits.html.
type visitsView struct {
	Visits  []gridwarn.Visit
	Overdue overdueView
}

// overdueView is a list of enterprises past due a visit, its first rows.
type overdueView struct {
	Rows      []gridwarn.OverdueVisit
	Total     int
	Max       int
	CanRecord bool // the caller may record visits: each row links to the form
}

// overdue reads the overdue visits of the caller's scope (the same query
// as GET /api/v1/visits/overdue).
func (s *server) overdue(c *gin.Context, v gridwarn.Visibility) (overdueView, error) {
	o := overdueView{Max: overdueShown, CanRecord: authz.Can(principal(c).Role, authz.RecordVisits)}
	if s.svc.Visits == nil {
		return o, nil
	}
	rows, err := s.svc.Visits.OverdueVisits(c.Request.Context(), v, "")
	if err != nil {
		return o, err
	}
	o.Total = len(rows)
	o.Rows = rows[:min(len(rows), overdueShown)]
	return o, nil
}

// GET /ui/visits — the caller's scope's latest visits and the enterprises
// past due one.
func (s *server) visitsPage(c *gin.Context) {
	if s.svc.Visits == nil {
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "visits are not available"))
		return
	}
	v := visibility(c)
	vs, err := s.svc.Visits.Visits(c.Request.Context(), v, gridwarn.VisitFilter{Limit: visitsLimit})
	if err != nil {
		s.fail(c, err)
		return
	}
	o, err := s.overdue(c, v)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "visits", "visit.list_title", visitsView{Visits: vs, Overdue: o})
}

// visitForm is the visit form: what was typed, kept as text, and what was
// wrong with it.
type visitForm struct {
	Enterprise *gridwarn.Enterprise
	Code       string
	ID         string
	ReportID   string // minted with the form: the report filed from the visit
	FileReport bool
	VisitedOn  string
	Today      string
	Kind       string
	TicketID   string
	PeopleMet  string
	Findings   string

	Kinds   []gridwarn.VisitKind
	Message string
	Errors  []fieldMessage
	ByField map[string]string
}

// newVisitView is the data of templates/visit.html: the enterprise search,
// or the form.
type newVisitView struct {
	Query   string
	Results []gridwarn.Enterprise
	More    string
	Form    *visitForm
}

// GET /ui/visits/new — pick an enterprise of one's grids; with
// ?enterprise=CODE the form, its ids minted now.
func (s *server) newVisitPage(c *gin.Context) {
	ctx := c.Request.Context()
	rv := authz.Visibility(principal(c), authz.ReadRegistry)
	if code := c.Query("enterprise"); code != "" {
		e, err := s.svc.Registry.Enterprise(ctx, rv, code)
		if err != nil {
			s.fail(c, err)
			return
		}
		f := s.newVisitForm(e, e.CreditCode)
		f.ID, f.ReportID = newVisitID(), newEventID()
		f.VisitedOn = f.Today
		f.Kind = string(gridwarn.VisitPatrol)
		s.render(c, http.StatusOK, "visit", "visit.title", newVisitView{Form: f})
		return
	}
	q := strings.TrimSpace(c.Query("q"))
	if codeLike(q) {
		q = strings.ToUpper(q)
	}
	es, err := s.svc.Registry.Enterprises(ctx, rv, gridwarn.EnterpriseFilter{Query: q, After: c.Query("after"), Limit: searchLimit + 1})
	if err != nil {
		s.fail(c, err)
		return
	}
	p := newVisitView{Query: q, Results: es}
	if len(es) > searchLimit {
		p.Results = es[:searchLimit]
		p.More = es[searchLimit-1].CreditCode
	}
	s.render(c, http.StatusOK, "visit", "visit.title", p)
}

// newVisitID is a visit's id, minted when its form is shown.
func newVisitID() string { return "visit-" + strings.TrimPrefix(newEventID(), "web-") }

func (s *server) newVisitForm(e *gridwarn.Enterprise, code string) *visitForm {
	return &visitForm{Enterprise: e, Code: code, Today: s.now().In(s.loc).Format("2006-01-02"), Kinds: gridwarn.VisitKinds}
}

// POST /ui/visits — the form (or visit.js's fetch of it) records the
// visit through the visit service, the API's door. A form answers with a
// redirect (to the report form when a report is to be filed from the
// visit, else to the list); a script (Accept: application/json) gets the
// visit and where to go next, or the error: 4xx is final, 5xx means "try
// again with the same id".
func (s *server) recordVisit(c *gin.Context) {
	wantsJSON := strings.Contains(c.GetHeader("Accept"), "application/json")
	f := s.newVisitForm(nil, strings.TrimSpace(c.PostForm("enterprise")))
	f.ID = strings.TrimSpace(c.PostForm("id"))
	f.ReportID = strings.TrimSpace(c.PostForm("report_id"))
	switch c.PostForm("file_report") {
	case "on", "true", "1":
		f.FileReport = true
	}
	f.VisitedOn = strings.TrimSpace(c.PostForm("visited_on"))
	f.Kind = c.PostForm("kind")
	f.TicketID = strings.TrimSpace(c.PostForm("ticket_id"))
	f.PeopleMet = strings.TrimSpace(c.PostForm("people_met"))
	f.Findings = strings.TrimSpace(strings.ReplaceAll(c.PostForm("findings"), "\r\n", "\n"))

	v := gridwarn.Visit{ID: f.ID, Enterprise: f.Code, VisitedOn: f.VisitedOn, Kind: gridwarn.VisitKind(f.Kind),
		PeopleMet: f.PeopleMet, Findings: f.Findings}
	if f.FileReport {
		v.ReportID = f.ReportID
		if v.ReportID == "" {
			v.ReportID = "-" // refused by Validate as a bad pattern: the form lost its minted id
		}
	}
	var err error
	if f.TicketID != "" && f.Kind == string(gridwarn.VisitTicketFollowUp) {
		id, perr := strconv.ParseInt(strings.TrimPrefix(f.TicketID, "#"), 10, 64)
		if perr != nil || id <= 0 {
			err = gridwarn.Invalid("invalid visit", gridwarn.FieldError{Field: "ticket_id", Rule: "integer", Message: "must be a ticket number"})
		}
		v.TicketID = &id
	}
	if f.Kind != string(gridwarn.VisitTicketFollowUp) {
		f.TicketID = ""
	}
	var got *gridwarn.Visit
	var created bool
	if err == nil {
		got, created, err = s.svc.Visits.RecordVisit(c.Request.Context(), principal(c), v)
	}
	if err == nil {
		next := "/ui/visits"
		if got.ReportID != "" {
			next = "/ui/report?" + url.Values{"enterprise": {got.Enterprise}, "visit": {got.ID}}.Encode()
		}
		if wantsJSON {
			status := http.StatusOK
			if created {
				status = http.StatusCreated
			}
			c.JSON(status, gin.H{"visit": got, "created": created, "next": next})
			return
		}
		s.redirect(c, next, "visit.sent", false)
		return
	}
	status, code := api.Status(err)
	if code == gridwarn.EINTERNAL {
		s.log.Error("web: visit failed", "visit_id", f.ID, "err", err)
	}
	l := lang(c)
	f.Message = catalogue[l]["visit.error."+code]
	if f.Message == "" {
		f.Message = errorDetail(l, err)
	}
	for _, fe := range gridwarn.ErrorFields(err) {
		f.Errors = append(f.Errors, fieldMessage{Field: fe.Field, Rule: fe.Rule, Message: ruleText(l, fe, "report.rule."),
			Label: visitFieldLabel(l, fe.Field)})
	}
	f.ByField = map[string]string{}
	for _, fe := range f.Errors {
		f.ByField[fe.Field] = fe.Message
	}
	if wantsJSON {
		fields := f.Errors
		if fields == nil {
			fields = []fieldMessage{}
		}
		c.JSON(status, gin.H{"error": code, "message": f.Message, "fields": fields})
		return
	}
	_ = c.Error(err)
	if !eventIDRE.MatchString(f.ID) {
		f.ID = newVisitID()
	}
	if !eventIDRE.MatchString(f.ReportID) {
		f.ReportID = newEventID()
	}
	f.Enterprise, _ = s.svc.Registry.Enterprise(c.Request.Context(), authz.Visibility(principal(c), authz.ReadRegistry), f.Code)
	s.render(c, status, "visit", "visit.title", newVisitView{Form: f})
}

func visitFieldLabel(l, field string) string {
	if m, ok := catalogue[l]["visit.field."+field]; ok {
		return m
	}
	return fieldLabel(l, field)
}

// fromVisit pre-fills a report form from the visit it is filed from: its
// id is the one minted with the visit (so the visit names it), its
// summary the visit's findings, its time the visit's day.
func (s *server) fromVisit(c *gin.Context, f *reportForm, visitID string) {
	if s.svc.Visits == nil || !eventIDRE.MatchString(visitID) {
		return
	}
	vs, err := s.svc.Visits.Visits(c.Request.Context(), authz.Visibility(principal(c), authz.ReadVisits),
		gridwarn.VisitFilter{Enterprise: f.Code, Limit: 1000})
	if err != nil {
		return
	}
	for _, v := range vs {
		if v.ID != visitID || v.Visitor != principal(c).Username {
			continue
		}
		f.Visit = v.ID
		if v.ReportID != "" {
			f.ID = v.ReportID
		}
		sum := v.Findings
		if utf8.RuneCountInString(sum) > gridwarn.MaxTextChars {
			sum = string([]rune(sum)[:gridwarn.MaxTextChars])
		}
		f.Summary = sum
		now := s.now().In(s.loc)
		if v.VisitedOn == now.Format("2006-01-02") {
			f.OccurredAt = now.Format(occurredAtLayout)
		} else {
			f.OccurredAt = v.VisitedOn + "T12:00"
		}
		return
	}
}
