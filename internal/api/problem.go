package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Codes the HTTP layer needs beyond the domain's.
const (
	eUnsupportedMediaType = "unsupported_media_type" // the request body is not application/json
	eMethodNotAllowed     = "method_not_allowed"     // the path exists, the method does not
)

// codes maps each error code to its HTTP status; a code not listed is 500.
var codes = map[string]int{
	gridwarn.EINVALID:              http.StatusBadRequest,
	gridwarn.EUNAUTHORIZED:         http.StatusUnauthorized,
	gridwarn.EFORBIDDEN:            http.StatusForbidden,
	gridwarn.ENOTFOUND:             http.StatusNotFound,
	eMethodNotAllowed:              http.StatusMethodNotAllowed,
	gridwarn.ECONFLICT:             http.StatusConflict,
	gridwarn.ETOOLARGE:             http.StatusRequestEntityTooLarge,
	gridwarn.EUNPROCESSABLE:        http.StatusUnprocessableEntity,
	gridwarn.EPRECONDITION:         http.StatusPreconditionFailed,
	gridwarn.EPRECONDITIONREQUIRED: http.StatusPreconditionRequired,
	eUnsupportedMediaType:          http.StatusUnsupportedMediaType,
	gridwarn.EUNAVAILABLE:          http.StatusServiceUnavailable,
	gridwarn.ETOOMANY:              http.StatusTooManyRequests,
	gridwarn.EINTERNAL:             http.StatusInternalServerError,
}

// problemTypeBase prefixes the code to form a problem's type URI.
const problemTypeBase = "https://gridwarn.dev/problems/"

// problem is an RFC 9457 problem details object.
type problem struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Code   string                `json:"code"`
	Errors []gridwarn.FieldError `json:"errors,omitempty"`
	// Allowed lists, for a conflict with a ticket's state, the actions the
	// caller may take now: [] when none, absent on any other problem.
	Allowed  []string `json:"allowed,omitzero"`
	Instance string   `json:"instance"`
}

// writeError answers the request with err as application/problem+json and
// aborts the handler chain. Internal errors are logged in full and shown as
// "internal error"; 5xx errors are logged at error level.
// Status is the HTTP status of an error and its code; an unknown code is
// EINTERNAL and 500. The web console shares it.
func Status(err error) (int, string) {
	code := gridwarn.ErrorCode(err)
	status, ok := codes[code]
	if !ok {
		return http.StatusInternalServerError, gridwarn.EINTERNAL
	}
	return status, code
}

func writeError(c *gin.Context, err error) {
	status, code := Status(err)
	detail := gridwarn.ErrorMessage(err)
	if code == gridwarn.EINTERNAL {
		detail = "internal error"
	}
	_ = c.Error(err) // for the request log
	if status >= 500 {
		logger(c).LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
			slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
			slog.Int("status", status), slog.String("code", code), slog.Any("err", err))
	}
	p := problem{
		Type:     problemTypeBase + code,
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   detail,
		Code:     code,
		Errors:   gridwarn.ErrorFields(err),
		Allowed:  allowedActions(err),
		Instance: c.Request.URL.Path,
	}
	if code == gridwarn.EINTERNAL {
		p.Errors = nil
	}
	body, mErr := json.Marshal(p)
	if mErr != nil { // cannot happen: every field marshals
		body = []byte(`{"type":"` + problemTypeBase + `internal","title":"Internal Server Error","status":500,"detail":"internal error","code":"internal"}`)
		status = http.StatusInternalServerError
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", "Bearer")
	}
	c.Abort()
	c.Data(status, "application/problem+json", body)
}

// noRoute answers a path that no route matches.
func (s *server) noRoute(c *gin.Context) { NoRoute(c) }

// noMethod answers a known path asked with a method it does not serve; Gin
// has already set the Allow header.
func (s *server) noMethod(c *gin.Context) { NoMethod(c) }

// NoRoute is the API's answer to a path no route serves: a 404 problem.
// Another port on the same engine (the console) that takes over the
// engine's NoRoute for its own paths calls it for the rest.
func NoRoute(c *gin.Context) {
	writeError(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "no such resource"))
}

// NoMethod is the API's answer to a known path asked with a method it does
// not serve: a 405 problem (Gin has set the Allow header).
func NoMethod(c *gin.Context) {
	writeError(c, gridwarn.Errorf(eMethodNotAllowed, "method %s not allowed", c.Request.Method))
}

// allowedActions returns the actions allowed now carried by a conflict.
func allowedActions(err error) []string {
	var e *gridwarn.Error
	if errors.As(err, &e) && e.Code == gridwarn.ECONFLICT && e.Allowed != nil {
		return append([]string{}, e.Allowed...)
	}
	return nil
}
