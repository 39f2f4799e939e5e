package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

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

// requireToken lets the request through only with "Authorization: Bearer
// <token>". The comparison takes the same time whatever the token.
func (s *server) requireToken(c *gin.Context) {
	if !s.validToken(c.GetHeader("Authorization")) {
		writeError(c, errUnauthorized)
		return
	}
	c.Next()
}

func (s *server) validToken(header string) bool {
	const scheme = "Bearer "
	if s.token == "" || len(header) < len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) {
		return false
	}
	// Hash both sides so that the comparison does not leak the length.
	got := sha256.Sum256([]byte(strings.TrimSpace(header[len(scheme):])))
	want := sha256.Sum256([]byte(s.token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
