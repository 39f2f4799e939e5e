package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// GET /api/v1/feed?after=&limit= — the ticket changes after a position,
// for the governance platform to poll (issue #17 item 4).
func (s *server) feed(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "after", "limit")
	var after int64
	if a := q.get("after"); a != "" && a != "0" {
		n, ok := parsePositive(a)
		if !ok {
			q.fail("after", "range", "must be a feed position: an integer of 0 or more")
		}
		after = n
	}
	limit := gridwarn.FeedDefaultLimit
	if l := q.get("limit"); l != "" {
		n, ok := parsePositive(l)
		if !ok || n > gridwarn.FeedMaxLimit {
			q.fail("limit", "range", fmt.Sprintf("must be an integer from 1 to %d", gridwarn.FeedMaxLimit))
		} else {
			limit = int(n)
		}
	}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	page, err := s.svc.Feed.Feed(c.Request.Context(), visibility(c), after, limit)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, page)
}

// GET /schemas/ticket-change-v1.json — the JSON Schema of a feed event.
func (s *server) ticketChangeSchema(c *gin.Context) {
	c.Data(http.StatusOK, "application/schema+json", contract.TicketChangeSchemaV1)
}

// createdPlatform is the answer to a platform account's registration: the
// token's secret is shown this once.
type createdPlatform struct {
	User   *gridwarn.User  `json:"user"`
	Token  *gridwarn.Token `json:"token"`
	Secret string          `json:"secret"`
}

// POST /api/v1/platforms — a county administrator registers the
// governance platform's account (role platform: it reads the feed and
// nothing else) with its token.
func (s *server) createPlatform(c *gin.Context) {
	if err := parseQuery(c.Request.URL.RawQuery).err(); err != nil {
		writeError(c, err)
		return
	}
	var b gridwarn.NewPlatform
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	u, t, secret, err := s.svc.Feed.CreatePlatform(c.Request.Context(), visibility(c), b)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdPlatform{User: u, Token: t, Secret: secret})
}
