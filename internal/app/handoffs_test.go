package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// withHandoff adds the demo's second county (320923) with tokens for its
// people and shares ticketA with it for joint handling, through the API.
func (w *world) withHandoff(t *testing.T) {
	t.Helper()
	db := w.a.DB()
	testutil.MustSeedNeighbour(t, db)
	for _, name := range []string{demo.NeighbourMediator, demo.NeighbourWorker, "leader-320923"} {
		w.tokens[name] = testutil.MustToken(t, db, name)
	}
	code, out := w.do(t, "admin", "GET", fmt.Sprintf("/api/v1/tickets/%d", w.ticketA), nil)
	var tk gridwarn.Ticket
	if code != http.StatusOK || json.Unmarshal(out, &tk) != nil {
		t.Fatalf("ticket A: %d %s", code, out)
	}
	body := map[string]string{"to_county": demo.NeighbourCode, "mode": "share", "reason": "joint_handling",
		"workers_home_county": demo.NeighbourCode, "note": "部分工人来自阜宁，请协助联系"}
	code, out = w.doMatch(t, "mediator-320924100-1", "POST", fmt.Sprintf("/api/v1/tickets/%d/handoff", w.ticketA), body, tk.Version)
	var h gridwarn.Handoff
	if code != http.StatusOK || json.Unmarshal(out, &h) != nil || h.LinkedTicketID == 0 {
		t.Fatalf("hand off ticket A: %d %s", code, out)
	}
	w.handoffID, w.linkedTicket = h.ID, h.LinkedTicketID
}

// doMatch is do with If-Match set to version.
func (w *world) doMatch(t *testing.T, name, method, path string, body any, version int) (int, []byte) {
	t.Helper()
	w.ifMatch = fmt.Sprintf(`"%d"`, version)
	defer func() { w.ifMatch = "" }()
	return w.do(t, name, method, path, body)
}

// Both counties reach the hand-off from their side, nobody else does; the
// receiving county sees the linked case in its queue and declines it with
// a reason, which the sender's ticket records.
func TestHandoffBothCounties(t *testing.T) {
	w := newWorld(t)
	w.withHandoff(t)
	get := func(who string) (int, gridwarn.Handoff) {
		code, out := w.do(t, who, "GET", "/api/v1/handoffs/"+w.handoffID, nil)
		var h gridwarn.Handoff
		_ = json.Unmarshal(out, &h)
		return code, h
	}
	for who, dir := range map[string]string{"mediator-320924100-1": "out", "leader": "out", demo.NeighbourMediator: "in", "leader-320923": "in"} {
		if code, h := get(who); code != http.StatusOK || h.Direction != dir {
			t.Errorf("%s reads the hand-off: %d %+v, want direction %s", who, code, h, dir)
		}
	}
	for _, who := range []string{"mediator-320924101-1", "leader-b"} {
		if code, _ := get(who); code != http.StatusNotFound {
			t.Errorf("%s reads the hand-off: %d, want 404", who, code)
		}
	}
	if code, out := w.do(t, demo.NeighbourMediator, "GET", "/api/v1/queue", nil); code != http.StatusOK ||
		!strings.Contains(string(out), fmt.Sprintf(`"id":%d,`, w.linkedTicket)) {
		t.Errorf("the receiving county's queue: %d %s, want the linked case %d", code, out, w.linkedTicket)
	}
	if code, out := w.do(t, "mediator-320924100-1", "POST", "/api/v1/handoffs/"+w.handoffID+"/accept", nil); code != http.StatusForbidden {
		t.Errorf("the sender accepts: %d %s, want 403", code, out)
	}
	if code, out := w.do(t, demo.NeighbourMediator, "POST", "/api/v1/handoffs/"+w.handoffID+"/decline", map[string]string{}); code != http.StatusBadRequest {
		t.Errorf("a decline without a reason: %d %s, want 400", code, out)
	}
	code, out := w.do(t, demo.NeighbourMediator, "POST", "/api/v1/handoffs/"+w.handoffID+"/decline", map[string]string{"reason": "工人不在本县"})
	var h gridwarn.Handoff
	if code != http.StatusOK || json.Unmarshal(out, &h) != nil || h.State != gridwarn.HandoffDeclined || h.Direction != "in" {
		t.Fatalf("decline: %d %s", code, out)
	}
	code, out = w.do(t, "mediator-320924100-1", "GET", fmt.Sprintf("/api/v1/handoffs?ticket_id=%d", w.ticketA), nil)
	if code != http.StatusOK || !strings.Contains(string(out), `"state":"declined"`) || !strings.Contains(string(out), "工人不在本县") {
		t.Errorf("the sender's hand-offs of ticket A: %d %s", code, out)
	}
	code, out = w.do(t, "mediator-320924100-1", "GET", fmt.Sprintf("/api/v1/tickets/%d/history", w.ticketA), nil)
	if code != http.StatusOK || !strings.Contains(string(out), `"kind":"handoff_reply"`) {
		t.Errorf("the sender's history: %d %s, want a handoff_reply line", code, out)
	}
	if code, out := w.do(t, demo.NeighbourMediator, "POST", "/api/v1/handoffs/"+w.handoffID+"/accept", nil); code != http.StatusConflict {
		t.Errorf("accept after the decline: %d %s, want 409", code, out)
	}
}

// The console: the sender's ticket page offers the hand-off form, the
// receiving county's mediator accepts on the linked case's page, and the
// sender's page shows the answer.
func TestHandoffInTheConsole(t *testing.T) {
	w := newWorld(t)
	db := w.a.DB()
	testutil.MustSeedNeighbour(t, db)
	sender := signIn(t, w.a, "mediator-320924100-1")
	ticket := fmt.Sprintf("/ui/tickets/%d", w.ticketA)
	code, page := sender.get(ticket)
	if code != http.StatusOK || !strings.Contains(page, `id="action-hand_off"`) {
		t.Fatalf("the sender's ticket page: %d, no hand-off form", code)
	}
	code, out := w.do(t, "admin", "GET", fmt.Sprintf("/api/v1/tickets/%d", w.ticketA), nil)
	var tk gridwarn.Ticket
	if code != http.StatusOK || json.Unmarshal(out, &tk) != nil {
		t.Fatalf("ticket A: %d %s", code, out)
	}
	form := url.Values{"version": {fmt.Sprint(tk.Version)}, "to_county": {demo.NeighbourCode}, "workers_home_county": {demo.NeighbourCode},
		"reason": {gridwarn.HandoffWorkersHome}, "mode": {gridwarn.HandoffHand}, "note": {"工人已返乡"}}
	if code, body := sender.post(ticket+"/handoff", form); code != http.StatusSeeOther {
		t.Fatalf("hand off in the console: %d %.500s", code, body)
	}
	_, page = sender.get(ticket)
	if !strings.Contains(page, `data-direction="out" data-state="sent"`) {
		t.Fatalf("the sender's page does not show the hand-off sent")
	}
	hs, err := db.Handoffs(context.Background(), nil, gridwarn.Visibility{All: true}, w.ticketA)
	if err != nil || len(hs) != 1 {
		t.Fatalf("hand-offs: %+v %v", hs, err)
	}
	nb := signIn(t, w.a, demo.NeighbourMediator)
	code, page = nb.get(fmt.Sprintf("/ui/tickets/%d", hs[0].LinkedTicketID))
	if code != http.StatusOK || !strings.Contains(page, `id="handoff-accept"`) {
		t.Fatalf("the linked case's page: %d, no accept button", code)
	}
	if code, body := nb.post("/ui/handoffs/"+hs[0].ID+"/accept", nil); code != http.StatusSeeOther {
		t.Fatalf("accept in the console: %d %.500s", code, body)
	}
	if _, page = sender.get(ticket); !strings.Contains(page, `data-state="accepted"`) {
		t.Errorf("the sender's page does not show the acceptance")
	}
}
