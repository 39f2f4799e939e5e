package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/cli"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// apiClient calls a demo's API with one person's token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c apiClient) do(method, path string, version int, body any, out any) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if version > 0 {
		req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, version))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode, string(data)
}

// The person the demo prints as its mediator signs in (with the printed
// token) while the simulator publishes and the simulated mediators work,
// fast, and works a town ticket from claim to close with no conflict they
// did not cause (issue #14): nothing in their queue is "claimed by me"
// before they claim, the simulated mediators never act in their name or
// on their lease, and another person reviews their reply (separation of
// duties). No timing is asserted: every wait is a bounded poll.
func TestPrintedMediatorWorksATownTicketInTheDemo(t *testing.T) {
	d := MustRunDemo(t, nil, "--interval", "300ms", "--history-weeks", "1")
	login := d.Logins["mediator"].Username
	med := apiClient{t: t, base: d.APIURL, token: d.Tokens["mediator"]}
	var me gridwarn.User
	if code, body := med.do("GET", "/api/v1/me", 0, nil, &me); code != 200 || me.Username != login {
		t.Fatalf("/me: %d %s, want the printed mediator %s", code, body, login)
	}
	if demo.IsSimulated(login) || !strings.Contains(d.Banner(), login) {
		t.Fatalf("the printed mediator %s: simulated or not printed", login)
	}
	// First sign-in: nothing is claimed in their name.
	var q []gridwarn.QueueItem
	var page struct {
		Items []gridwarn.QueueItem `json:"items"`
	}
	if code, body := med.do("GET", "/api/v1/queue?limit=100", 0, nil, &page); code != 200 {
		t.Fatalf("queue: %d %s", code, body)
	}
	q = page.Items
	for _, it := range q {
		if it.ClaimedBy == login {
			t.Errorf("ticket %d is claimed by %s before they did anything", it.ID, login)
		}
	}

	// A town ticket in their town: 40 workers and a unilateral pay cut
	// (orange, town tier; a category the simulator never reports, so no
	// simulated signal joins it), about an enterprise with no open
	// ticket, published with the command line as the README does.
	town := me.Scope.UnitCode
	var ent string
	for _, e := range demo.County(0).Enterprises {
		if e.TownCode != town || e.Headcount < 40 {
			continue
		}
		var tp gridwarn.Page[gridwarn.Ticket]
		if code, body := med.do("GET", "/api/v1/tickets?enterprise="+e.CreditCode, 0, nil, &tp); code != 200 {
			t.Fatalf("tickets of %s: %d %s", e.CreditCode, code, body)
		}
		if !slices.ContainsFunc(tp.Items, func(x gridwarn.Ticket) bool { return x.Status.Open() }) {
			ent = e.CreditCode
			break
		}
	}
	if ent == "" {
		t.Fatalf("no enterprise of town %s without an open ticket", town)
	}
	id := fmt.Sprintf("person-%d", time.Now().UnixNano())
	line := fmt.Sprintf(`{"id":%q,"enterprise":%q,"category":"pay_terms","occurred_at":%q,"workers_involved":40}`,
		id, ent, time.Now().Add(-time.Hour).Format(time.RFC3339))
	var out, errb strings.Builder
	if code := cli.Main(context.Background(), []string{"publish"}, strings.NewReader(line), &out, &errb,
		append([]string{"GRIDWARN_NO_DEMO_ENV=1"}, d.Env...), nil); code != cli.ExitOK {
		t.Fatalf("publish: %d %s", code, errb.String())
	}
	detail := func(tid int64) gridwarn.TicketDetail {
		t.Helper()
		var td gridwarn.TicketDetail
		if code, body := med.do("GET", fmt.Sprintf("/api/v1/tickets/%d", tid), 0, nil, &td); code != 200 {
			t.Fatalf("ticket %d: %d %s", tid, code, body)
		}
		return td
	}
	var tk gridwarn.Ticket
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var tp gridwarn.Page[gridwarn.Ticket]
		med.do("GET", "/api/v1/tickets?enterprise="+ent, 0, nil, &tp)
		found := false
		for _, x := range tp.Items {
			if x.Status.Open() && x.Tier == gridwarn.TierTown {
				tk, found = x, true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no open town ticket for %s: %+v", ent, tp.Items)
		}
	}
	// Claim, accept, start, a contact, reply — each at the version they
	// just read. 409 or 412 here is a conflict they did not cause.
	path := fmt.Sprintf("/api/v1/tickets/%d", tk.ID)
	act := func(action string, body any) {
		t.Helper()
		td := detail(tk.ID)
		if code, resp := med.do("POST", path+"/"+action, td.Version, body, nil); code != 200 {
			t.Fatalf("%s by the printed mediator: %d %s", action, code, resp)
		}
	}
	if cur := detail(tk.ID); cur.ClaimedBy != "" {
		t.Fatalf("the fresh ticket was claimed by %s before the person could", cur.ClaimedBy)
	}
	act("claim", nil)
	act("accept", nil)
	act("start", nil)
	act("contacts", map[string]any{"contact": map[string]any{"kind": "phone_call", "held_at": time.Now().Format(time.RFC3339), "summary": "called the owner"}})
	act("reply", map[string]any{"outcome": map[string]any{"result": "paid_in_full", "amount_recovered_cny": 150000, "workers_covered": 40}})
	// Their own review is refused; another person reviews it.
	if code, body := med.do("POST", path+"/review", detail(tk.ID).Version, map[string]any{"approved": true}, nil); code != http.StatusForbidden {
		t.Fatalf("self-review: %d %s, want 403", code, body)
	}
	// The simulated tier head sends one reply in ten back (review not
	// approved: in progress again); the person then replies again.
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		cur := detail(tk.ID)
		if cur.Status == gridwarn.StatusReviewed {
			break
		}
		if cur.Status == gridwarn.StatusInProgress {
			act("reply", map[string]any{"outcome": map[string]any{"result": "paid_in_full", "amount_recovered_cny": 150000, "workers_covered": 40}})
		}
		if time.Now().After(deadline) {
			t.Fatalf("nobody reviewed the reply: %+v", cur.Ticket)
		}
	}
	act("callback", map[string]any{"satisfied": true, "note": "workers paid"})
	act("close", map[string]any{"note": "done"})
	final := detail(tk.ID)
	if final.Status != gridwarn.StatusClosed {
		t.Fatalf("status %s, want closed", final.Status)
	}
	// The history names who did each step: the person their steps, a
	// simulated tier head the review; no simulated mediator acted on it
	// otherwise.
	for _, h := range final.History {
		switch h.Kind {
		case "claim", "accept", "start", "contact", "reply", "callback", "close":
			if h.Actor != "user:"+login {
				t.Errorf("%s by %s, want the person", h.Kind, h.Actor)
			}
		case "review":
			if h.Actor == "user:"+login || !strings.HasPrefix(h.Actor, "user:") {
				t.Errorf("review by %s, want another person", h.Actor)
			}
		}
	}
}

// The demo's history is coherent (issue #14): each past week's summary
// counts the events that occurred in it and the tickets opened and closed
// in it, built once its events were stored; the current week so far has
// events and tickets too, and no ticket was opened in a week before its
// first event.
func TestDemoHistoryIsCoherent(t *testing.T) {
	d := MustRunDemo(t, nil, "--no-simulator", "--history-weeks", "2")
	leader := apiClient{t: t, base: d.APIURL, token: d.Tokens["leader"]}
	var list struct {
		Items []struct {
			ISO      string `json:"week"`
			UnitCode string `json:"unit_code"`
		} `json:"items"`
	}
	if code, body := leader.do("GET", "/api/v1/summaries/weekly", 0, nil, &list); code != 200 {
		t.Fatalf("summaries: %d %s", code, body)
	}
	weeks := map[string]bool{}
	for _, s := range list.Items {
		weeks[s.ISO] = true
	}
	if len(weeks) < 2 {
		t.Fatalf("summaries of %d weeks, want the 2 past weeks: %+v", len(weeks), list.Items)
	}
	var dbURL string
	for _, kv := range d.Env {
		if v, ok := strings.CutPrefix(kv, "GRIDWARN_DATABASE_URL="); ok {
			dbURL = v
		}
	}
	pool := mustPool(t, dbURL)
	for iso := range weeks {
		var s gridwarn.WeeklySummary
		if code, body := leader.do("GET", "/api/v1/summaries/weekly/"+iso+"?unit="+demo.CountyCode, 0, nil, &s); code != 200 {
			t.Fatalf("summary %s: %d %s", iso, code, body)
		}
		var events, opened, closed int
		if err := pool.QueryRow(context.Background(), `SELECT
  (SELECT count(*) FROM events WHERE occurred_at >= $1 AND occurred_at < $2),
  (SELECT count(*) FROM tickets WHERE opened_at >= $1 AND opened_at < $2),
  (SELECT count(*) FROM tickets WHERE closed_at >= $1 AND closed_at < $2)`, s.From, s.To).Scan(&events, &opened, &closed); err != nil {
			t.Fatal(err)
		}
		h := s.Headline
		if h.Events == 0 || h.Events != events || h.NewTickets == 0 || h.NewTickets != opened || h.Closed == 0 {
			t.Errorf("%s: summary says %d events, %d new, %d closed; the database holds %d events, %d opened, %d closed in the week",
				iso, h.Events, h.NewTickets, h.Closed, events, opened, closed)
		}
	}
	var early, thisWeek int
	if err := pool.QueryRow(context.Background(), `SELECT
  (SELECT count(*) FROM tickets t WHERE t.opened_at < t.first_event_at - interval '7 days'),
  (SELECT count(*) FROM events WHERE occurred_at >= date_trunc('week', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai')`).Scan(&early, &thisWeek); err != nil {
		t.Fatal(err)
	}
	if early != 0 {
		t.Errorf("%d tickets opened long before their first event", early)
	}
	if thisWeek == 0 {
		t.Error("no event in the current week: the leader sees nothing of the week so far")
	}
}

// The demo links its leader and mediators to enterprises ("1+x") through
// the contacts import: the leader reads the county's, the printed mediator
// their own, and some were visited this year, some not yet.
func TestDemoHasContacts(t *testing.T) {
	d := MustRunDemo(t, nil, "--no-simulator", "--history-weeks", "1")
	var page gridwarn.Page[gridwarn.ContactAssignment]
	leader := apiClient{t: t, base: d.APIURL, token: d.Tokens["leader"]}
	if code, body := leader.do("GET", "/api/v1/contacts", 0, nil, &page); code != 200 || len(page.Items) < 10 {
		t.Fatalf("the leader's contacts: %d %s", code, body)
	}
	visited := 0
	for _, c := range page.Items {
		if c.VisitedThisYear {
			visited++
		}
	}
	if visited == 0 || visited == len(page.Items) {
		t.Errorf("%d of %d contacts visited this year: want some, not all", visited, len(page.Items))
	}
	med := apiClient{t: t, base: d.APIURL, token: d.Tokens["mediator"]}
	if code, body := med.do("GET", "/api/v1/contacts?person=me", 0, nil, &page); code != 200 || len(page.Items) != 1 ||
		page.Items[0].Person != d.Logins["mediator"].Username || len(page.Items[0].Workers) == 0 {
		t.Errorf("the mediator's contacts: %d %s", code, body)
	}
}

// A fresh demo loads the union lists of the last months, each as of its
// day, and builds their circulars with the scheduler's builder, once per
// (unit, month): the leader reads them at once, with enterprises newly
// unionized and newly listed (issue 16's "done when").
func TestDemoHasPastCirculars(t *testing.T) {
	d := MustRunDemo(t, nil, "--no-simulator", "--history-weeks", "0")
	leader := apiClient{t: t, base: d.APIURL, token: d.Tokens["leader"]}
	var list struct {
		Items []struct {
			UnitCode string `json:"unit_code"`
			Period   string `json:"period"`
			Revision int    `json:"revision"`
		} `json:"items"`
	}
	if code, body := leader.do("GET", "/api/v1/circulars/unionization?limit=100", 0, nil, &list); code != 200 {
		t.Fatalf("circulars: %d %s", code, body)
	}
	var months []string
	for _, it := range list.Items {
		if it.Revision != 1 {
			t.Errorf("%s %s: revision %d, want one build", it.UnitCode, it.Period, it.Revision)
		}
		if it.UnitCode == demo.CountyCode && !strings.Contains(it.Period, "Q") {
			months = append(months, it.Period)
		}
	}
	if len(months) != demo.UnionListMonths {
		t.Fatalf("the county's monthly circulars: %v, want %d", months, demo.UnionListMonths)
	}
	var unionized, listed int
	for _, m := range months {
		var c gridwarn.UnionCircular
		if code, body := leader.do("GET", "/api/v1/circulars/unionization/"+m+"?unit="+demo.CountyCode, 0, nil, &c); code != 200 {
			t.Fatalf("circular %s: %d %s", m, code, body)
		}
		if c.Totals.Listed == 0 {
			t.Errorf("%s: nobody on the list", m)
		}
		unionized += c.Totals.NewlyUnionized
		listed += c.Totals.NewlyListed
	}
	if unionized == 0 || listed == 0 {
		t.Errorf("over %v: %d newly unionized, %d newly listed; want both", months, unionized, listed)
	}
}
