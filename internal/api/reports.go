package api

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var idempotencyKeyRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// errReporterServerOwned is the refusal of a report that names its reporter.
func errReporterServerOwned() error {
	return gridwarn.Invalid("invalid report", gridwarn.FieldError{Field: "reporter", Rule: "server_owned",
		Message: "is set by the server from your token"})
}

// POST /api/v1/reports — the event contract v1 without "reporter" (the
// server fills it from the token). The event id comes from the body's "id"
// or the Idempotency-Key header; a retry with the same id is one event.
func (s *server) report(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	body, err := readBody(c, s.maxBodyBytes, "application/json")
	if err != nil {
		writeError(c, err)
		return
	}
	raw, _ := io.ReadAll(body)
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		// The usual report: one pass of the contract's parser. A body it
		// refuses takes the checks below, which name what is wrong in the
		// order they always have.
		if e, err := contract.ParseEvent(raw); err == nil {
			if e.Reporter != nil {
				writeError(c, errReporterServerOwned())
				return
			}
			rcpt, err := s.svc.Reports.Report(c.Request.Context(), principal(c), e)
			respond(c, http.StatusAccepted, &rcpt, err)
			return
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil { // "null" decodes to a nil map
		writeError(c, bodyInvalid("malformed JSON: the body must be one JSON object"))
		return
	}
	if _, ok := fields["reporter"]; ok {
		writeError(c, errReporterServerOwned())
		return
	}
	if key != "" && !idempotencyKeyRE.MatchString(key) {
		writeError(c, gridwarn.Invalid("invalid report", gridwarn.FieldError{Field: "Idempotency-Key", Rule: "pattern",
			Message: "must be 1–64 characters of A-Z a-z 0-9 . _ : -"}))
		return
	}
	if id, ok := fields["id"]; ok && key != "" {
		var s string
		if json.Unmarshal(id, &s) != nil || s != key {
			writeError(c, gridwarn.Invalid("invalid report", gridwarn.FieldError{Field: "id", Rule: "idempotency_key",
				Message: "differs from the Idempotency-Key header"}))
			return
		}
	} else if key != "" {
		fields["id"], _ = json.Marshal(key)
		raw, _ = json.Marshal(fields) // the body is parsed as it came unless the id was added
	}
	e, err := contract.ParseEvent(raw)
	if err != nil {
		writeError(c, err)
		return
	}
	rcpt, err := s.svc.Reports.Report(c.Request.Context(), principal(c), e)
	respond(c, http.StatusAccepted, &rcpt, err)
}
