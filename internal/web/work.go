package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gridwarn/gridwarn/internal/authz"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The mediator's pages: the queue (work.go) and the ticket page with a
// form for every action of the state machine (ticket.go).
func (s *server) workRoutes(g *gin.RouterGroup) {
	g.GET("/queue", s.allow(authz.ChangeTickets), s.queuePage)
	g.POST("/queue/claim", s.allow(authz.ChangeTickets), s.claimNext)
	// Leaders, administrators and the grid workers whose reports fed a
	// ticket read it too; the forms show only what the reader may do.
	g.GET("/tickets", s.allow(authz.ReadTickets), s.ticketsPage)
	g.GET("/tickets/:id", s.allow(authz.ReadTickets), s.ticketPage)
	// One route for every action, named as in the API (claim, hand-down,
	// notes, contacts, follow-ups, …).
	g.POST("/tickets/:id/:action", s.allow(authz.ChangeTickets), s.ticketAction)
	// An action's address opened again (a reload, a bookmark, the address
	// a refused form left in the bar) is the ticket's page.
	g.GET("/tickets/:id/:action", s.allow(authz.ReadTickets), s.actionAddress)
}

// actionAddress sends a GET of an action's address to the ticket.
func (s *server) actionAddress(c *gin.Context) {
	id, ok := ticketID(c)
	if _, known := actionOf(c.Param("action")); !ok || !known {
		s.failWith(c, gridwarn.Errorf(gridwarn.ENOTFOUND, "no such page"), catalogue[lang(c)]["error.no_page"])
		return
	}
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/ui/tickets/%d", id))
	c.Abort()
}

// queuePageSize is how many tickets one page of the queue shows.
const queuePageSize = 50

// queueStatuses are the states a queue holds (the open ones).
var queueStatuses = []gridwarn.Status{gridwarn.StatusNew, gridwarn.StatusDispatched, gridwarn.StatusAccepted,
	gridwarn.StatusInProgress, gridwarn.StatusReplied, gridwarn.StatusReviewed, gridwarn.StatusReferred}

// claimable are the states a ticket can be claimed in (workflow: claim).
var claimable = []gridwarn.Status{gridwarn.StatusDispatched, gridwarn.StatusAccepted, gridwarn.StatusInProgress, gridwarn.StatusReferred}

type queueView struct {
	Filter     queueFilterForm
	Levels     []gridwarn.Level
	Categories []gridwarn.Category
	Statuses   []gridwarn.Status
	Towns      []option // county people only
	Rows       []queueRow
	More       string // the next page's URL, "" at the end
	Top        string // the first page's URL (same filters), "" on it
}

// queueFilterForm is the filter form as submitted (only known values).
type queueFilterForm struct {
	Level, Category, Town, Status string
	Mine, Unclaimed               bool
}

type option struct{ Value, Label string }

type queueRow struct {
	gridwarn.QueueItem
	Name      string // the enterprise's name, "" if unknown
	Overdue   bool
	Claimable bool // unclaimed (or lapsed) in a state that admits claim
	Mine      bool // the caller holds the lease
}

// queuePage lists the caller's unit's actionable tickets: red first, then
// the nearest deadline.
func (s *server) queuePage(c *gin.Context) {
	p, now := principal(c), s.now()
	q := c.Request.URL.Query()
	f := queueFilterForm{
		Level:     pick(q.Get("level"), gridwarn.Levels),
		Category:  pick(q.Get("category"), gridwarn.Categories),
		Status:    pick(q.Get("status"), queueStatuses),
		Mine:      q.Get("mine") != "",
		Unclaimed: q.Get("unclaimed") != "",
	}
	if t := q.Get("town"); len(t) == 9 && strings.Trim(t, "0123456789") == "" {
		f.Town = t
	}
	filter := gridwarn.QueueFilter{Level: gridwarn.Level(f.Level), Category: gridwarn.Category(f.Category),
		TownCode: f.Town, Status: gridwarn.Status(f.Status), Mine: f.Mine, Open: f.Unclaimed,
		After: queueAfter(q.Get("cursor")), Limit: queuePageSize + 1}
	items, err := s.svc.Work.Queue(c.Request.Context(), p, visibility(c), filter)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := queueView{Filter: f, Levels: gridwarn.Levels, Categories: gridwarn.Categories, Statuses: queueStatuses}
	same := url.Values{} // the filters, without the cursor
	for k, vs := range q {
		if k != "cursor" {
			same[k] = vs
		}
	}
	if filter.After != nil {
		v.Top = "/ui/queue?" + same.Encode()
	}
	if len(items) > queuePageSize {
		items = items[:queuePageSize]
		same.Set("cursor", items[len(items)-1].Key().Cursor())
		v.More = "/ui/queue?" + same.Encode()
	}
	names := s.enterpriseNames(c, itemsEnterprises(items))
	for _, it := range items {
		live := it.ClaimedBy != "" && it.LeaseExpiresAt != nil && it.LeaseExpiresAt.After(now)
		v.Rows = append(v.Rows, queueRow{QueueItem: it, Name: names[it.Enterprise],
			Overdue:   it.DueAt != nil && it.DueAt.Before(now),
			Claimable: !live && slices.Contains(claimable, it.Status),
			Mine:      live && it.ClaimedBy == p.Username})
	}
	if p.Scope.Kind == gridwarn.ScopeCounty && s.svc.Registry != nil {
		if units, err := s.svc.Registry.Units(c.Request.Context(), authz.Visibility(p, authz.ReadRegistry)); err == nil {
			for _, u := range units {
				if u.Kind == gridwarn.UnitTown {
					v.Towns = append(v.Towns, option{Value: u.Code, Label: unitName(u, lang(c))})
				}
			}
		}
	}
	s.render(c, http.StatusOK, "queue", "work.queue.title", v)
}

// claimNext claims the first unclaimed ticket of the caller's queue and
// opens it.
func (s *server) claimNext(c *gin.Context) {
	t, err := s.svc.Work.ClaimNext(c.Request.Context(), principal(c), visibility(c))
	switch gridwarn.ErrorCode(err) {
	case "":
		s.redirect(c, fmt.Sprintf("/ui/tickets/%d", t.ID), "work.done.claim", false)
	case gridwarn.ENOTFOUND:
		s.redirect(c, "/ui/queue", "work.flash.nothing_to_claim", true)
	default:
		s.fail(c, err)
	}
}

// pick returns v if it is one of the known values, else "".
func pick[T ~string](v string, known []T) string {
	if slices.Contains(known, T(v)) {
		return v
	}
	return ""
}

func itemsEnterprises(items []gridwarn.QueueItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Enterprise)
	}
	return out
}

// enterpriseNames looks up the names of the enterprises the caller sees
// (once each); an enterprise it cannot read keeps only its code.
func (s *server) enterpriseNames(c *gin.Context, codes []string) map[string]string {
	names := map[string]string{}
	if s.svc.Registry == nil {
		return names
	}
	v := authz.Visibility(principal(c), authz.ReadRegistry)
	for _, code := range codes {
		if _, done := names[code]; done {
			continue
		}
		names[code] = ""
		if e, err := s.svc.Registry.Enterprise(c.Request.Context(), v, code); err == nil {
			names[code] = e.Name
		}
	}
	return names
}

func unitName(u gridwarn.Unit, lang string) string {
	if lang == "en" && u.NameEN != "" {
		return u.NameEN
	}
	return u.NameZH
}

// queueAfter reads the "more" link's cursor; anything else starts from the top.
func queueAfter(s string) *gridwarn.QueueKey {
	if k, ok := gridwarn.ParseQueueCursor(s); ok {
		return &k
	}
	return nil
}
