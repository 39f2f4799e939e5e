package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The 12351 hotline operator's page: a form to fill while the caller talks
// (the cursor starts on the caller's name, Tab walks the fields in the order
// of the conversation, Ctrl+Enter files), a registry search that lists
// matches by name or credit code as the operator types (static/hotline.js
// over GET /ui/hotline/enterprises), the work-order number to read out once
// filed, and the latest cases. Without JavaScript the credit code or the
// enterprise's name is typed by hand.

func (s *server) hotlineRoutes(g *gin.RouterGroup) {
	g.GET("/hotline", s.allow(authz.FileHotlineCases), s.hotlinePage)
	g.POST("/hotline", s.allow(authz.FileHotlineCases), s.fileHotline)
	g.GET("/hotline/enterprises", s.allow(authz.ReadRegistry), s.hotlineEnterprises)
}

// hotlineRecent is how many of the latest cases the page lists.
const hotlineRecent = 15

// hotlineForm is what was typed, kept as text so that a refused form shows
// it again.
type hotlineForm struct {
	CallerName, CallerPhone, IntakeType, Class, PlatformOrder string
	AnsweredOnCall, Collective                                bool
	Enterprise, EnterpriseName, EnterpriseAddress             string
	Category, OccurredAt, WorkersInvolved, AmountOwedCNY      string
	Summary                                                   string
}

type hotlinePage struct {
	Form        hotlineForm
	Filed       *gridwarn.HotlineCase // the case just filed: its number to read out
	Recent      []gridwarn.HotlineCase
	Message     string
	Errors      []fieldMessage
	ByField     map[string]string
	IntakeTypes []gridwarn.IntakeType
	Classes     []gridwarn.CaseClass
	Categories  []gridwarn.Category
}

func (s *server) newHotlinePage(c *gin.Context, f hotlineForm) hotlinePage {
	p := hotlinePage{Form: f, IntakeTypes: gridwarn.IntakeTypes, Classes: gridwarn.CaseClasses, Categories: gridwarn.Categories,
		ByField: map[string]string{}}
	p.Recent, _ = s.svc.Hotline.HotlineCases(c.Request.Context(), principal(c), authz.Visibility(principal(c), authz.ReadHotlineCases),
		gridwarn.HotlineFilter{Limit: hotlineRecent})
	return p
}

// GET /ui/hotline — the form; ?filed=ID shows the case just filed.
func (s *server) hotlinePage(c *gin.Context) {
	p := s.newHotlinePage(c, hotlineForm{IntakeType: string(gridwarn.IntakeHelp), Class: string(gridwarn.ClassOrdinary)})
	if id, err := strconv.ParseInt(c.Query("filed"), 10, 64); err == nil && id > 0 {
		fc, err := s.svc.Hotline.HotlineCase(c.Request.Context(), principal(c), authz.Visibility(principal(c), authz.ReadHotlineCases), id)
		if err != nil {
			s.fail(c, err)
			return
		}
		p.Filed = &fc
	}
	s.render(c, http.StatusOK, "hotline", "hotline.title", p)
}

// POST /ui/hotline — file the case; back to the form with its number.
func (s *server) fileHotline(c *gin.Context) {
	f := hotlineForm{
		CallerName: c.PostForm("caller_name"), CallerPhone: c.PostForm("caller_phone"), IntakeType: c.PostForm("intake_type"),
		Class: c.PostForm("class"), PlatformOrder: c.PostForm("platform_order"), AnsweredOnCall: c.PostForm("answered_on_call") == "true",
		Collective: c.PostForm("collective") == "true", Enterprise: strings.ToUpper(strings.TrimSpace(c.PostForm("enterprise"))),
		EnterpriseName: c.PostForm("enterprise_name"), EnterpriseAddress: c.PostForm("enterprise_address"), Category: c.PostForm("category"),
		OccurredAt: strings.TrimSpace(c.PostForm("occurred_at")), WorkersInvolved: strings.TrimSpace(c.PostForm("workers_involved")),
		AmountOwedCNY: strings.TrimSpace(c.PostForm("amount_owed_cny")), Summary: c.PostForm("summary"),
	}
	filing, err := s.parseHotline(f)
	var out gridwarn.HotlineCase
	if err == nil {
		out, err = s.svc.Hotline.FileCase(c.Request.Context(), principal(c), filing)
	}
	if err == nil {
		c.Redirect(http.StatusSeeOther, "/ui/hotline?filed="+strconv.FormatInt(out.ID, 10))
		return
	}
	status, code := api.Status(err)
	if code == gridwarn.EINTERNAL {
		s.log.Error("web: hotline case failed", "err", err)
	}
	l := lang(c)
	p := s.newHotlinePage(c, f)
	p.Message = catalogue[l]["hotline.error"]
	if m, ok := catalogue[l]["error.detail."+code]; ok && code != gridwarn.EINVALID {
		p.Message = m
	}
	p.Errors = fieldMessages(l, gridwarn.ErrorFields(err))
	for _, fe := range p.Errors {
		p.ByField[fe.Field] = fe.Message
	}
	_ = c.Error(err)
	s.render(c, status, "hotline", "hotline.title", p)
}

// parseHotline reads the form's numbers and date; the service checks the
// rest.
func (s *server) parseHotline(f hotlineForm) (gridwarn.HotlineFiling, error) {
	h := gridwarn.HotlineFiling{CallerName: f.CallerName, CallerPhone: f.CallerPhone, IntakeType: gridwarn.IntakeType(f.IntakeType),
		Class: gridwarn.CaseClass(f.Class), AnsweredOnCall: f.AnsweredOnCall, PlatformOrder: f.PlatformOrder, Enterprise: f.Enterprise,
		EnterpriseName: f.EnterpriseName, EnterpriseAddress: f.EnterpriseAddress, Category: gridwarn.Category(f.Category),
		Collective: f.Collective, Summary: f.Summary}
	var fs []gridwarn.FieldError
	if f.OccurredAt != "" {
		t, err := time.ParseInLocation(occurredAtLayout, f.OccurredAt, s.loc)
		if err != nil {
			fs = append(fs, gridwarn.FieldError{Field: "occurred_at", Rule: "datetime", Message: "is not a date and time"})
		} else {
			h.OccurredAt = &t
		}
	}
	if f.WorkersInvolved != "" {
		n, err := strconv.Atoi(f.WorkersInvolved)
		if err != nil || !integerRE.MatchString(f.WorkersInvolved) {
			fs = append(fs, gridwarn.FieldError{Field: "workers_involved", Rule: "range", Message: "is not a whole number"})
		} else {
			h.WorkersInvolved = &n
		}
	}
	if f.AmountOwedCNY != "" {
		x, err := strconv.ParseFloat(f.AmountOwedCNY, 64)
		if err != nil || !decimalRE.MatchString(f.AmountOwedCNY) {
			fs = append(fs, gridwarn.FieldError{Field: "amount_owed_cny", Rule: "range", Message: "is not a number"})
		} else {
			h.AmountOwedCNY = &x
		}
	}
	if len(fs) > 0 {
		return h, gridwarn.Invalid("invalid hotline case", fs...)
	}
	return h, nil
}

// hotlineMatch is one enterprise the search found.
type hotlineMatch struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Town string `json:"town"`
}

// GET /ui/hotline/enterprises?q= — up to 10 enterprises of the caller's
// scope whose name contains q or whose credit code starts with it, as JSON
// for hotline.js.
func (s *server) hotlineEnterprises(c *gin.Context) {
	q := strings.TrimSpace(c.Query("q"))
	if q == "" || utf8.RuneCountInString(q) > 100 || !utf8.ValidString(q) || strings.ContainsAny(q, "%_\\\x00") {
		c.JSON(http.StatusOK, gin.H{"items": []hotlineMatch{}})
		return
	}
	es, err := s.svc.Registry.Enterprises(c.Request.Context(), visibility(c), gridwarn.EnterpriseFilter{Query: q, Limit: 10})
	if err != nil {
		_, code := api.Status(err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": code})
		return
	}
	out := make([]hotlineMatch, 0, len(es))
	for _, e := range es {
		out = append(out, hotlineMatch{Code: e.CreditCode, Name: e.Name, Town: e.TownCode})
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}
