package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// loggerKey is the gin.Context key of the request's logger.
const loggerKey = "gridwarn.api.logger"

// logger returns the logger that logRequests put in c.
func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// logRequests logs every request at debug level once it is answered.
func (s *server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Set(loggerKey, s.log)
	c.Next()
	if !s.log.Enabled(c.Request.Context(), slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.String("route", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)),
	}
	if err := c.Errors.Last(); err != nil {
		attrs = append(attrs, slog.String("err", err.Err.Error()))
	}
	s.log.LogAttrs(c.Request.Context(), slog.LevelDebug, "request", attrs...)
}

// recoverPanics turns a panic in a handler into a logged 500 problem.
func (s *server) recoverPanics(c *gin.Context) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if r == http.ErrAbortHandler { // net/http's own signal to abort: let it through
			panic(r)
		}
		err := fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		if c.Writer.Written() {
			s.log.Error("panic after the response was started", slog.String("path", c.Request.URL.Path), slog.Any("err", err))
			c.Abort()
			return
		}
		writeError(c, err)
	}()
	c.Next()
}

// errUnauthorized is the one answer to every authentication failure: it
// never says whether the header was missing, malformed or wrong.
var errUnauthorized = gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "authentication required")

// authenticate resolves "Authorization: Bearer <token>" to the person
// behind it and puts them in the context; every failure is the same 401.
func (s *server) authenticate(c *gin.Context) {
	const scheme = "Bearer "
	h := c.GetHeader("Authorization")
	if s.svc.Auth == nil || len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		writeError(c, errUnauthorized)
		return
	}
	p, err := s.svc.Auth.Authenticate(c.Request.Context(), strings.TrimSpace(h[len(scheme):]))
	if err != nil {
		if gridwarn.ErrorCode(err) == gridwarn.EUNAUTHORIZED {
			err = errUnauthorized
		}
		writeError(c, err)
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

const (
	principalKey = "gridwarn.api.principal"
	actionKey    = "gridwarn.api.action"
)

// allow lets the request through only if the caller's role may take
// action a (authz.Table); the handler then sees with authz.Visibility.
func (s *server) allow(a authz.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := authz.Check(principal(c), a); err != nil {
			writeError(c, err)
			return
		}
		c.Set(actionKey, a)
		c.Next()
	}
}

// principal is the authenticated caller.
func principal(c *gin.Context) *gridwarn.Principal {
	p, _ := c.Value(principalKey).(*gridwarn.Principal)
	return p
}

// visibility is what the caller sees for the route's action.
func visibility(c *gin.Context) gridwarn.Visibility {
	a, _ := c.Value(actionKey).(authz.Action)
	return authz.Visibility(principal(c), a)
}

// securityHeaders sets the headers every answer carries, whatever route
// (or none) answers it: the API's JSON and files may not be sniffed,
// framed or run as a page. The console's pages and the summary's HTML set
// their own Content-Security-Policy over this one.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	c.Next()
}
