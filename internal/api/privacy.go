package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// identityCursor prefixes the cursors of the identity-read log.
const identityCursor = "i1:"

// POST /api/v1/tickets/{id}/reporters — who reported each event, for a
// person granted identity reads, with a reason; the read is logged.
func (s *server) reporters(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(c, s.maxBodyBytes, &body); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.svc.Privacy.ReporterIdentities(c.Request.Context(), principal(c), visibility(c), id, body.Reason)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// GET /api/v1/audit/identity-reads — the log of identity reads.
func (s *server) identityReads(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "limit", "cursor")
	after, limit := q.cursor(identityCursor), q.limit()
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	items, err := s.svc.Privacy.IdentityReads(c.Request.Context(), principal(c), after, limit+1)
	if err != nil {
		writeError(c, err)
		return
	}
	if items == nil {
		items = []gridwarn.IdentityRead{}
	}
	c.JSON(http.StatusOK, page(items, limit, identityCursor, func(r gridwarn.IdentityRead) int64 { return r.ID }))
}

// PUT /api/v1/users/{id}/identity-reader — grant or withdraw identity reads.
func (s *server) setIdentityReader(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var body struct {
		Granted *bool `json:"granted"`
	}
	if err := decodeJSON(c, s.maxBodyBytes, &body); err != nil {
		writeError(c, err)
		return
	}
	if body.Granted == nil {
		writeError(c, gridwarn.Invalid("granted is required", gridwarn.FieldError{Field: "granted", Rule: "required", Message: "is required"}))
		return
	}
	if err := s.svc.Privacy.SetIdentityReader(c.Request.Context(), principal(c), id, *body.Granted); err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user_id": id, "granted": *body.Granted})
}
