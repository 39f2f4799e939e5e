package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The ticket lists (GET /api/v1/tickets and GET /api/v1/queue, 50 tickets
// a page) are the API's most frequent large answers; encoding them with
// reflection was the largest part of their CPU in the API (issue #18). They
// are appended here field by field into a pooled buffer instead, to the
// very bytes json.Marshal writes (TestTicketJSONIsEncodingJSON compares the
// two on random tickets): the same fields in the same order, the same
// omitempty rules, times in RFC 3339 with nanoseconds, and any string that
// needs escaping handed to encoding/json. Keep ticketFields in step with
// gridwarn.Ticket's fields and tags (the test fails otherwise).

// jsonBufs are the buffers the lists are encoded into.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// writeTicketPage writes p as c.JSON would, or with c.JSON itself when a
// value is one encoding/json refuses (a year outside 0–9999).
func writeTicketPage[T any](c *gin.Context, p gridwarn.Page[T], ticket func(*T) (*gridwarn.Ticket, *time.Time, bool)) {
	bp := jsonBufs.Get().(*[]byte)
	defer jsonBufs.Put(bp)
	b := append((*bp)[:0], `{"items":[`...)
	for i := range p.Items {
		if i > 0 {
			b = append(b, ',')
		}
		t, due, isQueue := ticket(&p.Items[i])
		var ok bool
		if b, ok = appendTicket(b, t, due, isQueue); !ok {
			c.JSON(http.StatusOK, p)
			return
		}
	}
	b = append(b, `],"next_cursor":`...)
	b = appendJSONString(b, p.NextCursor)
	b = append(b, '}')
	*bp = b
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

// ticketOf and queueItemOf are writeTicketPage's views of the lists' items.
func ticketOf(t *gridwarn.Ticket) (*gridwarn.Ticket, *time.Time, bool) { return t, nil, false }

func queueItemOf(it *gridwarn.QueueItem) (*gridwarn.Ticket, *time.Time, bool) {
	return &it.Ticket, it.DueAt, true
}

// appendTicket appends t as a JSON object, with due_at (gridwarn.QueueItem)
// when withDue; ok is false when encoding/json would refuse a value.
func appendTicket(b []byte, t *gridwarn.Ticket, due *time.Time, withDue bool) (_ []byte, ok bool) {
	ok = true
	tm := func(b []byte, v time.Time) []byte {
		if y := v.Year(); y < 0 || y > 9999 {
			ok = false
			return b
		}
		b = append(b, '"')
		b = v.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `,"enterprise":`...)
	b = appendJSONString(b, t.Enterprise)
	b = append(b, `,"category":`...)
	b = appendJSONString(b, string(t.Category))
	b = append(b, `,"level":`...)
	b = appendJSONString(b, string(t.Level))
	b = append(b, `,"tier":`...)
	b = appendJSONString(b, string(t.Tier))
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(t.Status))
	b = append(b, `,"event_count":`...)
	b = strconv.AppendInt(b, int64(t.EventCount), 10)
	b = append(b, `,"first_event_at":`...)
	b = tm(b, t.FirstEventAt)
	b = append(b, `,"last_event_at":`...)
	b = tm(b, t.LastEventAt)
	b = append(b, `,"opened_at":`...)
	b = tm(b, t.OpenedAt)
	b = append(b, `,"updated_at":`...)
	b = tm(b, t.UpdatedAt)
	if t.ClosedAt != nil {
		b = append(b, `,"closed_at":`...)
		b = tm(b, *t.ClosedAt)
	}
	if t.OverdueAt != nil {
		b = append(b, `,"overdue_at":`...)
		b = tm(b, *t.OverdueAt)
	}
	if t.ClaimedBy != "" {
		b = append(b, `,"claimed_by":`...)
		b = appendJSONString(b, t.ClaimedBy)
	}
	if t.LeaseExpiresAt != nil {
		b = append(b, `,"lease_expires_at":`...)
		b = tm(b, *t.LeaseExpiresAt)
	}
	if t.MergedInto != 0 {
		b = append(b, `,"merged_into":`...)
		b = strconv.AppendInt(b, t.MergedInto, 10)
	}
	if t.RelapseOf != 0 {
		b = append(b, `,"relapse_of":`...)
		b = strconv.AppendInt(b, t.RelapseOf, 10)
	}
	b = append(b, `,"rules_version":`...)
	b = appendJSONString(b, t.RulesVersion)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(t.Version), 10)
	b = append(b, `,"county_code":`...)
	b = appendJSONString(b, t.CountyCode)
	if t.TownCode != "" {
		b = append(b, `,"town_code":`...)
		b = appendJSONString(b, t.TownCode)
	}
	if t.GridCode != "" {
		b = append(b, `,"grid_code":`...)
		b = appendJSONString(b, t.GridCode)
	}
	if withDue && due != nil {
		b = append(b, `,"due_at":`...)
		b = tm(b, *due)
	}
	return append(b, '}'), ok
}

// appendJSONString appends s as a JSON string: as it is when nothing in it
// needs escaping, else as encoding/json escapes it (HTML characters,
// control characters, U+2028/2029, invalid UTF-8).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
