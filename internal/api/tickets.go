package api

import (
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// enterpriseCode is the shape of a unified social credit code.
var enterpriseCode = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$`)

// GET /api/v1/tickets
func (s *server) listTickets(c *gin.Context) {
	f, err := ticketFilter(c.Request.URL.RawQuery)
	if err != nil {
		writeError(c, err)
		return
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	items, err := s.svc.Tickets.ListTickets(c.Request.Context(), visibility(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	writeTicketPage(c, page(items, limit, ticketCursor, func(t gridwarn.Ticket) int64 { return t.ID }), ticketOf)
}

// ticketFilter reads the query of a ticket list.
func ticketFilter(raw string) (gridwarn.TicketFilter, error) {
	q := parseQuery(raw, "status", "level", "category", "enterprise", "limit", "cursor")
	f := gridwarn.TicketFilter{
		Status:     enumParam(q, "status", gridwarn.Statuses),
		Level:      enumParam(q, "level", gridwarn.Levels),
		Category:   enumParam(q, "category", gridwarn.Categories),
		Enterprise: q.match("enterprise", enterpriseCode, "must be an 18-character unified social credit code"),
		AfterID:    q.cursor(ticketCursor),
		Limit:      q.limit(),
	}
	return f, q.err()
}

// GET /api/v1/tickets/{id}
func (s *server) ticket(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, err)
		return
	}
	d, err := s.svc.Tickets.Ticket(c.Request.Context(), visibility(c), id)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("ETag", etag(d.Version))
	c.JSON(http.StatusOK, detailView(d))
}

// detailView returns d with empty lists instead of null ones.
func detailView(d *gridwarn.TicketDetail) gridwarn.TicketDetail {
	v := *d
	if v.Events == nil {
		v.Events = []gridwarn.StoredEvent{}
	}
	if v.History == nil {
		v.History = []gridwarn.HistoryEntry{}
	}
	if v.Clocks == nil {
		v.Clocks = []gridwarn.Clock{}
	}
	return v
}
