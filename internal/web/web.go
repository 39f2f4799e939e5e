// Package web is gridwarn's web console: server-rendered pages under /ui/
// for grid workers (a phone form that survives a poor connection),
// mediators (the queue and the ticket page), leaders (the dashboard and the
// weekly summaries) and administrators (the registry, people and rules).
//
// It calls the same services as the API and asks internal/authz the same
// questions: every page names the authz.Action it takes, the role table
// says who may take it (403 otherwise) and the caller's scope limits what
// the services see (404 outside it). Sign-in is by username and password;
// the session lives in an HttpOnly, SameSite cookie and every form carries
// the session's CSRF token. Templates, styles and the little JavaScript
// there is are embedded in the binary; there is no build step.
package web

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/api"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Services are what the pages call; they are the API's services.
type Services struct {
	Sessions  gridwarn.SessionService
	Tickets   gridwarn.TicketService
	Work      gridwarn.WorkService
	Registry  gridwarn.RegistryService
	Users     gridwarn.UserService
	Reports   gridwarn.ReportService
	Rules     gridwarn.RulesService
	Summaries gridwarn.SummaryService
	Dashboard gridwarn.DashboardService
	// The union's standing work (issue 16): visits and their coverage, the
	// unionization circulars, the monthly and quarterly reports.
	Visits        gridwarn.VisitService
	Circulars     gridwarn.CircularService
	PeriodReports gridwarn.PeriodReportService
	// WhatIf serves the rules page's what-if (admin_rules.go).
	WhatIf RulesWhatIf
	// Hotline files and lists 12351 cases (hotline.go).
	Hotline gridwarn.HotlineService
	// Contacts keeps the "1+x" contact assignments (contacts.go).
	Contacts gridwarn.ContactService
	// Handoffs are the hand-offs between counties (handoff.go).
	Handoffs gridwarn.HandoffService
}

// Options configure the console.
type Options struct {
	// SecureCookies marks the cookies Secure (HTTPS only). Browsers accept
	// Secure cookies from http://localhost and http://127.0.0.1, so the
	// default (true) also works for the demo; turn it off only behind a
	// plain-HTTP proxy on another host.
	SecureCookies bool
	// Location is the time zone dates are shown in (default Asia/Shanghai).
	Location *time.Location
	// Logger receives page errors; nil discards.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Window bounds the dates of a report (config events.*), checked with
	// the form's other fields; the report service checks it again.
	Window gridwarn.EventWindow
	// CoverageTargets are the visits' coverage targets of a period's kind
	// (config coverage.*); nil: no targets.
	CoverageTargets func(gridwarn.PeriodKind) gridwarn.CoverageTarget
}

type server struct {
	svc    Services
	opt    Options
	log    *slog.Logger
	now    func() time.Time
	loc    *time.Location
	pages  map[string]map[string]*page // language → page name → template
	static http.Handler
}

// Register mounts the console on e under /ui/.
func Register(e *gin.Engine, svc Services, o Options) error {
	s := &server{svc: svc, opt: o, log: o.Logger, now: o.Now, loc: o.Location}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return err
		}
		s.loc = loc
	}
	pages, err := parsePages(s)
	if err != nil {
		return err
	}
	s.pages = pages
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return err
	}
	s.static = http.StripPrefix("/ui/static/", http.FileServer(http.FS(sub)))
	s.routes(e)
	// The console's own addresses answer a wrong path or method with a
	// page in the reader's language, not the API's JSON problem.
	e.NoRoute(func(c *gin.Context) {
		if !isConsole(c) {
			api.NoRoute(c)
			return
		}
		s.headers(c)
		s.failWith(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "no such page"), catalogue[lang(c)]["error.no_page"])
	})
	e.NoMethod(func(c *gin.Context) {
		if !isConsole(c) {
			api.NoMethod(c)
			return
		}
		s.headers(c)
		s.render(c, http.StatusMethodNotAllowed, "error", "error.method_not_allowed", errorView{Code: "method_not_allowed",
			Status: http.StatusMethodNotAllowed, Message: catalogue[lang(c)]["error.detail.method_not_allowed"]})
		c.Abort()
	})
	return nil
}

// isConsole reports whether the request is for a console address.
func isConsole(c *gin.Context) bool {
	p := c.Request.URL.Path
	return p == "/ui" || strings.HasPrefix(p, "/ui/")
}
