package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The hotline's cases for the county administrator (and whoever reads
// them): the cases whose enterprise is still to be identified first, then
// the latest, the caller masked as the API masks it. On a held case an
// administrator searches the registry and links the case, or adds the
// enterprise to the registry and links it — through the same service
// methods as the API (RegistryService.PutEnterprise,
// HotlineService.LinkCase), so the case's event is published once.

func (s *server) hotlineCaseRoutes(g *gin.RouterGroup) {
	g.GET("/hotline/cases", s.allow(authz.ReadHotlineCases), s.hotlineCasesPage)
	g.GET("/hotline/cases/:id", s.allow(authz.ReadHotlineCases), s.hotlineCasePage)
	g.POST("/hotline/cases/:id/link", s.allow(authz.LinkHotlineCases), s.linkHotlineCase)
	g.POST("/hotline/cases/:id/enterprise", s.allow(authz.LinkHotlineCases), s.createAndLinkHotlineCase)
}

// hotlineListSize is how many cases each list of the page shows.
const hotlineListSize = 50

type hotlineCasesView struct {
	Held, Latest []gridwarn.HotlineCase
}

// GET /ui/hotline/cases — held cases first, then the latest.
func (s *server) hotlineCasesPage(c *gin.Context) {
	ctx, p, v := c.Request.Context(), principal(c), visibility(c)
	held, err := s.svc.Hotline.HotlineCases(ctx, p, v, gridwarn.HotlineFilter{Status: gridwarn.HotlineToIdentify, Limit: hotlineListSize})
	if err != nil {
		s.fail(c, err)
		return
	}
	latest, err := s.svc.Hotline.HotlineCases(ctx, p, v, gridwarn.HotlineFilter{Limit: hotlineListSize})
	if err != nil {
		s.fail(c, err)
		return
	}
	latest = dropHeld(latest)
	s.render(c, http.StatusOK, "hotline_cases", "hotline.cases.title", hotlineCasesView{Held: held, Latest: latest})
}

// dropHeld leaves out the held cases (listed above the latest).
func dropHeld(cs []gridwarn.HotlineCase) []gridwarn.HotlineCase {
	out := cs[:0]
	for _, c := range cs {
		if c.Status != gridwarn.HotlineToIdentify {
			out = append(out, c)
		}
	}
	return out
}

type hotlineCaseView struct {
	Case gridwarn.HotlineCase
	// Query and Matches: the registry search of the link form.
	Query    string
	Matches  []gridwarn.Enterprise
	Searched bool
	// Message is a refused link's explanation; Errors the refused
	// enterprise form's fields.
	Message    string
	Errors     []gridwarn.FieldError
	Form       adminEnterpriseForm
	Code       string // the new enterprise's credit code as typed
	Towns      []adminOption
	Ownerships []gridwarn.Ownership
	Grades     []string
}

// GET /ui/hotline/cases/:id[?q=] — one case; ?q= searches the registry.
func (s *server) hotlineCasePage(c *gin.Context) {
	s.renderHotlineCase(c, http.StatusOK, "", nil, nil, "")
}

// renderHotlineCase shows the case of the path; msg, form, errs and code
// are a refused form's.
func (s *server) renderHotlineCase(c *gin.Context, status int, msg string, form *adminEnterpriseForm, errs []gridwarn.FieldError, code string) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "hotline case not found"))
		return
	}
	p := principal(c)
	hc, err := s.svc.Hotline.HotlineCase(c.Request.Context(), p, authz.Visibility(p, authz.ReadHotlineCases), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := hotlineCaseView{Case: hc, Message: msg, Errors: errs, Code: code, Ownerships: gridwarn.Ownerships, Grades: []string{"A", "B", "C"},
		Form: adminEnterpriseForm{Name: hc.EnterpriseName, Ownership: string(gridwarn.Ownerships[0]), Grade: "B", Capital: "0", Headcount: "0"}}
	if form != nil {
		v.Form = *form
	}
	if hc.Status == gridwarn.HotlineToIdentify && authz.Can(p.Role, authz.LinkHotlineCases) {
		q := strings.TrimSpace(c.Query("q"))
		if q == "" && msg == "" {
			q = hc.EnterpriseName
		}
		if q != "" && adminSearchRE.MatchString(q) {
			v.Query, v.Searched = q, true
			v.Matches, err = s.svc.Registry.Enterprises(c.Request.Context(), authz.Visibility(p, authz.ReadRegistry),
				gridwarn.EnterpriseFilter{Query: q, Limit: 10})
			if err != nil {
				s.fail(c, err)
				return
			}
		}
		if v.Towns, _, err = s.adminUnits(c); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.render(c, status, "hotline_case", "hotline.case.title", v)
}

// POST /ui/hotline/cases/:id/link — link the case to a registry entry.
func (s *server) linkHotlineCase(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "hotline case not found"))
		return
	}
	code := strings.ToUpper(strings.TrimSpace(c.PostForm("enterprise")))
	if _, err := s.svc.Hotline.LinkCase(c.Request.Context(), principal(c), visibility(c), id, code); err != nil {
		s.refuseHotlineLink(c, err, nil, nil, "")
		return
	}
	s.redirect(c, "/ui/hotline/cases/"+strconv.FormatInt(id, 10), "hotline.linked", false)
}

// POST /ui/hotline/cases/:id/enterprise — add the enterprise to the
// registry (it must not be there yet), then link the case to it.
func (s *server) createAndLinkHotlineCase(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "hotline case not found"))
		return
	}
	p := principal(c)
	if err := authz.Check(p, authz.WriteRegistry); err != nil {
		s.failWith(c, err, roleRefusal(lang(c), p.Role, authz.WriteRegistry))
		return
	}
	ctx, v := c.Request.Context(), visibility(c)
	// The case first: one the caller does not see is not found, before
	// anything is written to the registry.
	hc, err := s.svc.Hotline.HotlineCase(ctx, p, v, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	code := strings.ToUpper(strings.TrimSpace(c.PostForm("credit_code")))
	f, e, fs, err := readEnterpriseForm(c, code)
	if err != nil {
		s.fail(c, err)
		return
	}
	if fs != nil {
		s.renderHotlineCase(c, http.StatusBadRequest, catalogue[lang(c)]["admin.errors"], &f, fs, code)
		return
	}
	if hc.Status != gridwarn.HotlineToIdentify {
		s.refuseHotlineLink(c, gridwarn.Errorf(gridwarn.ECONFLICT, "the case is not waiting for its enterprise"), &f, nil, code)
		return
	}
	if _, err := s.svc.Registry.Enterprise(ctx, authz.Visibility(p, authz.WriteRegistry), code); err == nil {
		s.renderHotlineCase(c, http.StatusConflict, catalogue[lang(c)]["hotline.create.exists"], &f, nil, code)
		return
	} else if gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		s.fail(c, err)
		return
	}
	if _, err := s.svc.Registry.PutEnterprise(ctx, authz.Visibility(p, authz.WriteRegistry), e); err != nil {
		s.refuseHotlineLink(c, err, &f, gridwarn.ErrorFields(err), code)
		return
	}
	if _, err := s.svc.Hotline.LinkCase(ctx, p, v, id, code); err != nil {
		s.refuseHotlineLink(c, err, &f, nil, code)
		return
	}
	s.redirect(c, "/ui/hotline/cases/"+strconv.FormatInt(id, 10), "hotline.created_linked", false)
}

// refuseHotlineLink shows the case again with the refusal, or the error
// page for an error the form cannot help with.
func (s *server) refuseHotlineLink(c *gin.Context, err error, form *adminEnterpriseForm, fs []gridwarn.FieldError, code string) {
	status, ecode := api.Status(err)
	switch ecode {
	case gridwarn.EINVALID, gridwarn.EUNPROCESSABLE, gridwarn.ECONFLICT:
	default:
		s.fail(c, err)
		return
	}
	_ = c.Error(err)
	l := lang(c)
	msg := catalogue[l]["hotline.link.refused"] + errorDetail(l, err)
	if fs == nil {
		fs = gridwarn.ErrorFields(err)
	}
	s.renderHotlineCase(c, status, msg, form, fs, code)
}
