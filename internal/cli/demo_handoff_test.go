package cli_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The demo has a second county (issue 17 item 3) whose printed people can
// take a hand-off from the demo county's printed mediator to its close:
// its mediator accepts and works the linked case, its head reviews the
// reply (the author may not), and the sending county sees the outcome.
func TestDemoHasASecondCounty(t *testing.T) {
	d := MustRunDemo(t, nil, "--interval", "300ms", "--history-weeks", "0")
	for key, username := range map[string]string{"mediator@320923": "mediator-320923-1", "mediator-2@320923": "mediator-320923-2"} {
		tok, login := d.Tokens[key], d.Logins[key]
		if tok == "" || login.Username != username || !strings.Contains(d.Banner(), tok) || !strings.Contains(d.Banner(), login.Password) {
			t.Fatalf("the second county's %s is not printed: %q %+v", key, tok, login)
		}
	}
	sender := apiClient{t: t, base: d.APIURL, token: d.Tokens["mediator"]}
	head := apiClient{t: t, base: d.APIURL, token: d.Tokens["mediator@320923"]}
	worker := apiClient{t: t, base: d.APIURL, token: d.Tokens["mediator-2@320923"]}
	var me struct {
		Scope struct {
			UnitCode string `json:"unit_code"`
		} `json:"scope"`
	}
	if code, body := worker.do("GET", "/api/v1/me", 0, nil, &me); code != 200 || me.Scope.UnitCode != "320923" {
		t.Fatalf("the second county's mediator: %d %s", code, body)
	}

	// Hand off a dispatched ticket of the sender's queue (the simulated
	// mediators work the queue too: a ticket that moved meanwhile is
	// skipped).
	var h gridwarn.Handoff
	for deadline := time.Now().Add(2 * time.Minute); h.ID == ""; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no ticket of the demo mediator's queue could be handed off within 2 minutes")
		}
		var q struct{ Items []gridwarn.QueueItem }
		if code, body := sender.do("GET", "/api/v1/queue?limit=50", 0, nil, &q); code != 200 {
			t.Fatalf("queue: %d %s", code, body)
		}
		for _, it := range q.Items {
			if it.Status != gridwarn.StatusDispatched {
				continue
			}
			body := map[string]string{"to_county": "320923", "mode": "hand", "reason": "workers_home", "workers_home_county": "320923", "note": "工人已返乡"}
			if code, _ := sender.do("POST", fmt.Sprintf("/api/v1/tickets/%d/handoff", it.ID), it.Version, body, &h); code == 200 {
				break
			}
		}
	}

	if code, body := worker.do("POST", "/api/v1/handoffs/"+h.ID+"/accept", 0, nil, nil); code != 200 {
		t.Fatalf("accept: %d %s", code, body)
	}
	step := func(who apiClient, action string, body any) {
		t.Helper()
		var cur gridwarn.Ticket
		if code, out := who.do("GET", fmt.Sprintf("/api/v1/tickets/%d", h.LinkedTicketID), 0, nil, &cur); code != 200 {
			t.Fatalf("linked case: %d %s", code, out)
		}
		if code, out := who.do("POST", fmt.Sprintf("/api/v1/tickets/%d/%s", h.LinkedTicketID, action), cur.Version, body, nil); code != 200 {
			t.Fatalf("%s on the linked case: %d %s", action, code, out)
		}
	}
	step(worker, "start", map[string]any{})
	step(worker, "reply", map[string]any{"outcome": map[string]any{"result": "paid_in_full", "amount_recovered_cny": 60000, "workers_covered": 12}})
	step(head, "review", map[string]any{"approved": true})
	step(worker, "callback", map[string]any{"satisfied": true})
	step(worker, "close", map[string]string{"note": "工资已在输出地结清"})

	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var page struct{ Items []gridwarn.Handoff }
		code, body := sender.do("GET", fmt.Sprintf("/api/v1/handoffs?ticket_id=%d", h.TicketID), 0, nil, &page)
		if code == 200 && len(page.Items) == 1 && page.Items[0].State == gridwarn.HandoffClosed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sender never saw the linked case closed: %d %s", code, body)
		}
	}
}
