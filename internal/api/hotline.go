package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// hotlineCursor prefixes the cursors of the hotline case list.
const hotlineCursor = "h1:"

// POST /api/v1/hotline/cases — a 12351 operator files a case for a caller.
func (s *server) fileHotlineCase(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	var f gridwarn.HotlineFiling
	if err := decodeJSON(c, s.maxBodyBytes, &f); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.svc.Hotline.FileCase(c.Request.Context(), principal(c), f)
	respond(c, http.StatusCreated, &out, err)
}

// GET /api/v1/hotline/cases — the cases the caller sees, newest first.
func (s *server) listHotlineCases(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "status", "limit", "cursor")
	f := gridwarn.HotlineFilter{
		Status: enumParam(q, "status", []gridwarn.HotlineStatus{gridwarn.HotlineToIdentify, gridwarn.HotlineForwarded, gridwarn.HotlineClosed}),
	}
	f.AfterID, f.Limit = q.cursor(hotlineCursor), q.limit()
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	limit := f.Limit
	f.Limit++
	items, err := s.svc.Hotline.HotlineCases(c.Request.Context(), principal(c), visibility(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, page(nonNil(items), limit, hotlineCursor, func(h gridwarn.HotlineCase) int64 { return h.ID }))
}

// GET /api/v1/hotline/cases/{id}
func (s *server) hotlineCase(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	out, err := s.svc.Hotline.HotlineCase(c.Request.Context(), principal(c), visibility(c), id)
	respond(c, http.StatusOK, &out, err)
}

// POST /api/v1/hotline/cases/{id}/link — a county administrator names the
// registry entry of a held case; its event is published (once).
func (s *server) linkHotlineCase(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var body struct {
		Enterprise string `json:"enterprise"`
	}
	if err := decodeJSON(c, s.maxBodyBytes, &body); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.svc.Hotline.LinkCase(c.Request.Context(), principal(c), visibility(c), id, body.Enterprise)
	respond(c, http.StatusOK, &out, err)
}

// GET /api/v1/hotline/counts?period= — the period's cases counted (a month
// by default).
func (s *server) hotlineCounts(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "period")
	p := s.period(q)
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	out, err := s.svc.Hotline.HotlineCounts(c.Request.Context(), principal(c), visibility(c), p)
	respond(c, http.StatusOK, &out, err)
}
