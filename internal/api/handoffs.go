package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Hand-offs between counties (issue 17 item 3): a mediator hands a ticket
// over to another county's union or shares it; the receiving county
// accepts or declines on its linked case; both read the hand-off. The
// service scopes each hand-off to the two counties' people who see its
// ticket or its linked case (404 for anyone else).

// POST /api/v1/tickets/{id}/handoff — 200 with the hand-off (an action
// on the ticket, like the state machine's routes).
func (s *server) handOff(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	version, err := ifMatch(c)
	if err != nil {
		writeError(c, err)
		return
	}
	var b gridwarn.HandoffRequest
	if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
		writeError(c, err)
		return
	}
	b.TicketID, b.IfMatch = id, version
	h, err := s.svc.Handoffs.HandOff(c.Request.Context(), principal(c), visibility(c), b)
	respond(c, http.StatusOK, h, err)
}

// GET /api/v1/handoffs — the hand-offs the caller's county sent or
// received, newest first; ticket_id keeps one ticket's.
func (s *server) listHandoffs(c *gin.Context) {
	q := parseQuery(c.Request.URL.RawQuery, "ticket_id")
	var ticketID int64
	if v := q.get("ticket_id"); v != "" {
		n, ok := parsePositive(v)
		if !ok {
			q.fail("ticket_id", "integer", "must be a positive integer")
		}
		ticketID = n
	}
	if err := q.err(); err != nil {
		writeError(c, err)
		return
	}
	hs, err := s.svc.Handoffs.Handoffs(c.Request.Context(), principal(c), visibility(c), ticketID)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": nonNil(hs)})
}

// GET /api/v1/handoffs/{id}
func (s *server) handoff(c *gin.Context) {
	h, err := s.svc.Handoffs.Handoff(c.Request.Context(), principal(c), visibility(c), c.Param("id"))
	respond(c, http.StatusOK, h, err)
}

// POST /api/v1/handoffs/{id}/accept and /decline — 200 with the hand-off.
func (s *server) answerHandoff(accept bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var b gridwarn.HandoffAnswer
		if accept {
			if c.Request.ContentLength > 0 {
				if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
					writeError(c, err)
					return
				}
			}
		} else if err := decodeJSON(c, s.maxBodyBytes, &b); err != nil {
			writeError(c, err)
			return
		}
		b.HandoffID, b.Accept = c.Param("id"), accept
		h, err := s.svc.Handoffs.AnswerHandoff(c.Request.Context(), principal(c), visibility(c), b)
		respond(c, http.StatusOK, h, err)
	}
}
