package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Cookie names. The session cookie's path is /ui/, so the API never sees
// it: the API authenticates with bearer tokens only, which no browser
// sends on its own (no CSRF there).
const (
	sessionCookie = "gw_session"
	loginCookie   = "gw_login" // the sign-in form's CSRF token (double submit)
	langCookie    = "gw_lang"
	flashCookie   = "gw_flash"
)

// maxFormBytes limits form bodies (an enterprise CSV import is the largest).
const maxFormBytes = 8 << 20

// routes declares every page. Each page names the authz.Action it takes;
// internal/app's access test walks them all with every role.
func (s *server) routes(e *gin.Engine) {
	e.GET("/ui", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/ui/") })
	ui := e.Group("/ui", s.headers)
	ui.GET("/static/*file", s.serveStatic)
	ui.GET("/login", s.loginPage)
	ui.POST("/login", s.login)
	ui.GET("/lang/:lang", s.setLang)

	in := ui.Group("", s.authenticate, s.checkCSRF)
	in.GET("/", s.allow(authz.ReadSelf), s.home)
	in.POST("/logout", s.allow(authz.ReadSelf), s.logout)
	s.reportRoutes(in)
	s.workRoutes(in)
	s.visitRoutes(in)
	s.contactRoutes(in)
	s.leaderRoutes(in)
	s.adminRoutes(in)
	s.hotlineRoutes(in)
	s.hotlineCaseRoutes(in)
	s.handoffRoutes(in)
}

// headers sets the security headers of every page: no framing, no
// inline script, nothing cached.
func (s *server) headers(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(c.Request.URL.Path, "/ui/static/") {
		h.Set("Cache-Control", "no-store")
	}
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFormBytes)
	}
	c.Next()
}

func (s *server) serveStatic(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=3600")
	s.static.ServeHTTP(c.Writer, c.Request)
}

const (
	principalKey = "gridwarn.web.principal"
	sessionKey   = "gridwarn.web.session"
	actionKey    = "gridwarn.web.action"
)

// authenticate resolves the session cookie. Without a valid session a GET
// goes to the sign-in page (and comes back after it); anything else is 401.
func (s *server) authenticate(c *gin.Context) {
	var (
		p    *gridwarn.Principal
		sess *gridwarn.Session
		err  error
	)
	if secret, cErr := c.Cookie(sessionCookie); cErr == nil && s.svc.Sessions != nil {
		p, sess, err = s.svc.Sessions.Session(c.Request.Context(), secret)
	} else {
		err = gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "sign in first")
	}
	if err != nil {
		if gridwarn.ErrorCode(err) != gridwarn.EUNAUTHORIZED {
			s.fail(c, err)
			return
		}
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, "/ui/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
			c.Abort()
			return
		}
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "sign in first"))
		return
	}
	c.Set(principalKey, p)
	c.Set(sessionKey, sess)
	c.Next()
}

// checkCSRF requires the session's CSRF token on every request that
// changes something: a form field "csrf" or the X-CSRF-Token header
// (scripts).
func (s *server) checkCSRF(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	token := c.GetHeader("X-CSRF-Token")
	if token == "" {
		token = c.PostForm("csrf")
	}
	sess := session(c)
	if sess == nil || token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) != 1 {
		s.failWith(c, gridwarn.Errorf(gridwarn.EFORBIDDEN, "the form has expired or did not come from this site; reload the page and try again"),
			catalogue[lang(c)]["error.csrf"])
		return
	}
	c.Next()
}

// allow lets the request through only if the caller's role may take
// action a (authz.Table): the same question the API asks.
func (s *server) allow(a authz.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := authz.Check(principal(c), a); err != nil {
			if p := principal(c); p != nil && gridwarn.ErrorCode(err) == gridwarn.EFORBIDDEN {
				s.failWith(c, err, roleRefusal(lang(c), p.Role, a))
				return
			}
			s.fail(c, err)
			return
		}
		c.Set(actionKey, a)
		c.Next()
	}
}

// principal is the signed-in person.
func principal(c *gin.Context) *gridwarn.Principal {
	p, _ := c.Value(principalKey).(*gridwarn.Principal)
	return p
}

func session(c *gin.Context) *gridwarn.Session {
	s, _ := c.Value(sessionKey).(*gridwarn.Session)
	return s
}

// visibility is what the caller sees for the route's action.
func visibility(c *gin.Context) gridwarn.Visibility {
	a, _ := c.Value(actionKey).(authz.Action)
	return authz.Visibility(principal(c), a)
}

// home sends each role to its main page.
func (s *server) home(c *gin.Context) {
	c.Redirect(http.StatusSeeOther, homeOf(principal(c).Role))
}

// homeOf is a role's main page.
func homeOf(r gridwarn.Role) string {
	switch r {
	case gridwarn.RoleGridWorker, gridwarn.RoleReporter:
		return "/ui/report"
	case gridwarn.RoleMediator:
		return "/ui/queue"
	case gridwarn.RoleLeader:
		return "/ui/dashboard"
	case gridwarn.RoleAdmin:
		return "/ui/admin"
	case gridwarn.RoleHotlineOperator:
		return "/ui/hotline"
	}
	return "/ui/login"
}

// safeNext keeps a post-sign-in destination on the console: no open redirect.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	return next
}
