package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

type loginView struct {
	Username string
	Next     string
	Error    string // a catalogue key
}

// loginPage shows the sign-in form with a fresh CSRF token that is also
// set as a cookie (double submit: there is no session yet to hold it).
func (s *server) loginPage(c *gin.Context) {
	if secret, err := c.Cookie(sessionCookie); err == nil && s.svc.Sessions != nil {
		if p, _, err := s.svc.Sessions.Session(c.Request.Context(), secret); err == nil {
			c.Redirect(http.StatusSeeOther, homeOf(p.Role))
			return
		}
	}
	s.renderLogin(c, http.StatusOK, loginView{Next: safeNext(c.Query("next"))})
}

func (s *server) renderLogin(c *gin.Context, status int, v loginView) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(c.Writer, &http.Cookie{Name: loginCookie, Value: token, Path: "/ui/login", HttpOnly: true,
		Secure: s.opt.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	c.Set(loginCookie, token)
	s.render(c, status, "login", "login.title", v)
}

// login checks the credentials and opens a session.
func (s *server) login(c *gin.Context) {
	v := loginView{Username: c.PostForm("username"), Next: safeNext(c.PostForm("next"))}
	cookie, err := c.Cookie(loginCookie)
	form := c.PostForm("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(cookie), []byte(form)) != 1 {
		v.Error = "login.expired"
		s.renderLogin(c, http.StatusForbidden, v)
		return
	}
	if s.svc.Sessions == nil {
		s.fail(c, gridwarn.Errorf(gridwarn.EUNAVAILABLE, "sign-in is not available"))
		return
	}
	p, sess, secret, err := s.svc.Sessions.SignIn(c.Request.Context(), v.Username, c.PostForm("password"),
		gridwarn.SignInMeta{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()})
	switch gridwarn.ErrorCode(err) {
	case "":
	case gridwarn.EUNAUTHORIZED:
		v.Error = "login.failed"
		s.renderLogin(c, http.StatusUnauthorized, v)
		return
	case gridwarn.ETOOMANY:
		v.Error = "login.locked"
		s.renderLogin(c, http.StatusTooManyRequests, v)
		return
	default:
		s.fail(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/ui/", HttpOnly: true,
		Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode, Expires: sess.ExpiresAt,
		MaxAge: int(time.Until(sess.ExpiresAt).Seconds())})
	http.SetCookie(c.Writer, &http.Cookie{Name: loginCookie, Value: "", Path: "/ui/login", MaxAge: -1})
	next := v.Next
	if next == "" {
		next = homeOf(p.Role)
	}
	c.Redirect(http.StatusSeeOther, next)
}

// logout ends the session.
func (s *server) logout(c *gin.Context) {
	if secret, err := c.Cookie(sessionCookie); err == nil {
		if err := s.svc.Sessions.SignOut(c.Request.Context(), secret); err != nil {
			s.fail(c, err)
			return
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: "", Path: "/ui/", HttpOnly: true,
		Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	s.redirect(c, "/ui/login", "login.signed_out", false)
}

// setLang switches the language and goes back to the page.
func (s *server) setLang(c *gin.Context) {
	l := c.Param("lang")
	if catalogue[l] == nil {
		l = languages[0]
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: l, Path: "/ui/", Secure: s.opt.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	next := safeNext(c.Query("next"))
	if next == "" {
		next = "/ui/"
	}
	c.Redirect(http.StatusSeeOther, next)
}
