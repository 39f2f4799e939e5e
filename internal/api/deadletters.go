package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// GET /api/v1/dead-letters
func (s *server) listDeadLetters(c *gin.Context) {
	f, err := deadLetterFilter(c.Request.URL.RawQuery)
	if err != nil {
		writeError(c, err)
		return
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	items, err := s.svc.DeadLetters.ListDeadLetters(c.Request.Context(), visibility(c), f)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, page(items, limit, deadLetterCursor, func(d gridwarn.DeadLetter) int64 { return d.ID }))
}

// deadLetterFilter reads the query of a dead-letter list.
func deadLetterFilter(raw string) (gridwarn.DeadLetterFilter, error) {
	q := parseQuery(raw, "reason", "limit", "cursor")
	f := gridwarn.DeadLetterFilter{
		Reason:  enumParam(q, "reason", gridwarn.DeadLetterReasons),
		AfterID: q.cursor(deadLetterCursor),
		Limit:   q.limit(),
	}
	return f, q.err()
}
