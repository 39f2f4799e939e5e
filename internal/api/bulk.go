package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/formula"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// bulkItem names a ticket and the version the caller saw.
type bulkItem struct {
	ID      int64 `json:"id"`
	Version int   `json:"version"`
}

// bulkRequest is the body of the bulk actions.
type bulkRequest struct {
	Items    []bulkItem `json:"items"`
	Assignee string     `json:"assignee"` // bulk-assign
	Into     int64      `json:"into"`     // bulk-merge
}

// bulkResult is one ticket's answer: its new version, or the problem.
type bulkResult struct {
	ID      int64  `json:"id"`
	Status  int    `json:"status"`
	Version int    `json:"version,omitempty"`
	Code    string `json:"code,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// maxBulk bounds a bulk request.
const maxBulk = 100

// bulk handles POST /api/v1/tickets/bulk-assign and bulk-merge for tier
// heads: the action is taken on each ticket on its own (each at the
// version given), and the answer says, per ticket, what happened — one
// stale or refused ticket does not undo the others.
func (s *server) bulk(a workflow.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req bulkRequest
		if err := decodeJSON(c, s.maxBodyBytes, &req); err != nil {
			writeError(c, err)
			return
		}
		var fs []gridwarn.FieldError
		if len(req.Items) == 0 || len(req.Items) > maxBulk {
			fs = append(fs, gridwarn.FieldError{Field: "items", Rule: "size", Message: "must hold 1 to 100 tickets"})
		}
		body := gridwarn.ActionBody{}
		switch a {
		case workflow.ActionAssign:
			if req.Assignee == "" || req.Into != 0 {
				fs = append(fs, gridwarn.FieldError{Field: "assignee", Rule: "required", Message: "names the mediator (and nothing else)"})
			}
			body.Assignee = req.Assignee
		case workflow.ActionMerge:
			if req.Into <= 0 || req.Assignee != "" {
				fs = append(fs, gridwarn.FieldError{Field: "into", Rule: "required", Message: "names the ticket to merge into (and nothing else)"})
			}
			body.Into = req.Into
		}
		if len(fs) > 0 {
			writeError(c, gridwarn.Invalid("invalid request body", fs...))
			return
		}
		out := make([]bulkResult, 0, len(req.Items))
		for _, it := range req.Items {
			t, err := s.svc.Work.Act(c.Request.Context(), principal(c), visibility(c), gridwarn.ActionRequest{
				TicketID: it.ID, Action: string(a), IfMatch: it.Version, Body: body})
			if err != nil {
				code := gridwarn.ErrorCode(err)
				status, ok := codes[code]
				if !ok || status >= 500 {
					writeError(c, err) // a failure of the service, not of this ticket
					return
				}
				out = append(out, bulkResult{ID: it.ID, Status: status, Code: code, Detail: gridwarn.ErrorMessage(err)})
				continue
			}
			out = append(out, bulkResult{ID: it.ID, Status: http.StatusOK, Version: t.Version})
		}
		c.JSON(http.StatusOK, gin.H{"items": out})
	}
}

// maxExport bounds a CSV export.
const maxExport = 10000

// GET /api/v1/tickets/export — the filtered list as CSV, streamed page by
// page, at most 10,000 rows.
func (s *server) exportTickets(c *gin.Context) {
	f, err := ticketFilter(c.Request.URL.RawQuery)
	if err != nil {
		writeError(c, err)
		return
	}
	f.Limit = maxLimit
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="tickets.csv"`)
	first := true
	w := csv.NewWriter(c.Writer)
	for n := 0; n < maxExport; {
		ts, err := s.svc.Tickets.ListTickets(c.Request.Context(), visibility(c), f)
		if err != nil {
			if first {
				writeError(c, err)
			} else {
				logger(c).Error("export tickets", "err", err)
			}
			return
		}
		if first {
			c.Status(http.StatusOK)
			_, _ = c.Writer.WriteString("\uFEFF") // for Excel
			_ = w.Write([]string{"id", "enterprise", "category", "level", "tier", "status", "event_count", "first_event_at",
				"last_event_at", "opened_at", "closed_at", "town_code", "claimed_by", "version"})
			first = false
		}
		for _, t := range ts {
			closed := ""
			if t.ClosedAt != nil {
				closed = t.ClosedAt.Format(time.RFC3339)
			}
			rec := []string{strconv.FormatInt(t.ID, 10), t.Enterprise, string(t.Category), string(t.Level), string(t.Tier),
				string(t.Status), strconv.Itoa(t.EventCount), t.FirstEventAt.Format(time.RFC3339), t.LastEventAt.Format(time.RFC3339),
				t.OpenedAt.Format(time.RFC3339), closed, t.TownCode, t.ClaimedBy, strconv.Itoa(t.Version)}
			for i := range rec {
				rec[i] = formula.Defuse(rec[i]) // no number here is negative
			}
			_ = w.Write(rec)
			n++
		}
		w.Flush()
		if len(ts) < f.Limit {
			return
		}
		f.AfterID = ts[len(ts)-1].ID
	}
}
