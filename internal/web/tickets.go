package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// ticketsPageSize is how many tickets one page of the list shows.
const ticketsPageSize = 50

// ticketsMessages are the ticket list's.
var ticketsMessages = []message{
	{"tickets.title", "工单", "Tickets"},
	{"tickets.state", "状态", "State"},
	{"tickets.open", "未办结", "Open"},
	{"tickets.all", "全部（含已办结）", "All (closed too)"},
	{"tickets.empty", "没有符合条件的工单。", "No tickets match."},
	{"tickets.opened_at", "开单时间", "Opened"},
	{"tickets.updated_at", "更新时间", "Updated"},
	{"dash.red_all", "查看全部 %d 张红色工单", "All %d red tickets"},
}

// ticketsFilter is the list's filter as the form shows it.
type ticketsFilter struct {
	State    string // "" (open), "all" or a status
	Level    string
	Category string
}

type ticketsView struct {
	Filter     ticketsFilter
	Levels     []gridwarn.Level
	Categories []gridwarn.Category
	Statuses   []gridwarn.Status
	Rows       []ticketsRow
	More, Top  string
}

type ticketsRow struct {
	gridwarn.Ticket
	Name string
}

// ticketsPage lists the tickets the reader sees, newest first: the open
// ones unless asked for all or one status, by level and category — the
// dashboard's "all red tickets" is /ui/tickets?level=red.
func (s *server) ticketsPage(c *gin.Context) {
	q := c.Request.URL.Query()
	f := ticketsFilter{
		Level:    pick(q.Get("level"), gridwarn.Levels),
		Category: pick(q.Get("category"), gridwarn.Categories),
		State:    pick(q.Get("state"), gridwarn.Statuses),
	}
	if q.Get("state") == "all" {
		f.State = "all"
	}
	filter := gridwarn.TicketFilter{Level: gridwarn.Level(f.Level), Category: gridwarn.Category(f.Category), Limit: ticketsPageSize + 1}
	switch f.State {
	case "":
		filter.Open = true
	case "all":
	default:
		filter.Status = gridwarn.Status(f.State)
	}
	if after, err := strconv.ParseInt(q.Get("after"), 10, 64); err == nil && after > 0 {
		filter.AfterID = after
	}
	ts, err := s.svc.Tickets.ListTickets(c.Request.Context(), visibility(c), filter)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := ticketsView{Filter: f, Levels: gridwarn.Levels, Categories: gridwarn.Categories, Statuses: gridwarn.Statuses}
	same := url.Values{}
	for k, vs := range q {
		if k != "after" {
			same[k] = vs
		}
	}
	if filter.AfterID > 0 {
		v.Top = "/ui/tickets?" + same.Encode()
	}
	if len(ts) > ticketsPageSize {
		ts = ts[:ticketsPageSize]
		same.Set("after", strconv.FormatInt(ts[len(ts)-1].ID, 10))
		v.More = "/ui/tickets?" + same.Encode()
	}
	codes := make([]string, 0, len(ts))
	for _, t := range ts {
		codes = append(codes, t.Enterprise)
	}
	names := s.enterpriseNames(c, codes)
	for _, t := range ts {
		v.Rows = append(v.Rows, ticketsRow{Ticket: t, Name: names[t.Enterprise]})
	}
	s.render(c, http.StatusOK, "tickets", "tickets.title", v)
}
