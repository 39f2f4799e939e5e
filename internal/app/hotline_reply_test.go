package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// A work order that came down from the city's 12351 platform: every
// change of its ticket in the feed names the county's and the platform's
// numbers, the reply action is the reply (回单, answered) and close closes
// it; the platform reads it with its own account, and no event carries
// the caller's name or number. A ticket of another enterprise names no
// work order.
func TestHotlineReplyGoesBackWithThePlatformsOrder(t *testing.T) {
	w := hotlineWorld(t)
	c := hotlineCase(t, w, demo.HotlineLogin, map[string]any{
		"caller_name": "褚大海", "caller_phone": "13988887777", "intake_type": "help", "class": "ordinary",
		"platform_order": "YC12351-2026-000456", "enterprise": w.entA.CreditCode, "category": "wage_arrears", "workers_involved": 40,
		"summary": "褚大海来电，电话13988887777",
	})
	ticket := waitHotlineTicket(t, w, c.ID)
	worker, head := "mediator-"+townA+"-2", "mediator-"+townA+"-1"
	for _, name := range []string{worker, head} {
		w.tokens[name] = testutil.MustToken(t, w.a.DB(), name)
	}
	path := fmt.Sprintf("/api/v1/tickets/%d", ticket)
	step := func(who, action string, body any) {
		t.Helper()
		var cur gridwarn.TicketDetail
		if code := call(t, w.a, w.tokens[who], "GET", path, nil, &cur); code != 200 {
			t.Fatalf("detail: %d", code)
		}
		if code := callIfMatch(t, w.a, w.tokens[who], path+"/"+action, cur.Version, body); code != 200 {
			t.Fatalf("%s by %s: %d", action, who, code)
		}
	}
	step(worker, "claim", nil)
	step(worker, "accept", nil)
	step(worker, "start", nil)
	step(worker, "notes", map[string]any{"note": "褚大海 13988887777 已联系"})
	step(worker, "reply", map[string]any{"outcome": map[string]any{"result": "paid_in_full", "amount_recovered_cny": 90000, "workers_covered": 40}})
	step(head, "review", map[string]any{"approved": true})
	step(worker, "callback", map[string]any{"satisfied": true})
	step(worker, "close", map[string]string{"note": "褚大海满意"})

	// Another enterprise's ticket, from a case the county's own line took:
	// no work order in its events.
	var other gridwarn.Enterprise
	for _, e := range w.county.Enterprises {
		if e.CreditCode != w.entA.CreditCode {
			other = e
			break
		}
	}
	own := hotlineCase(t, w, demo.HotlineLogin, map[string]any{"caller_name": "卫小红", "caller_phone": "13566667777",
		"intake_type": "complaint", "class": "ordinary", "enterprise": other.CreditCode, "category": "wage_arrears", "workers_involved": 3})
	otherTicket := waitHotlineTicket(t, w, own.ID)
	sawOther := false

	code, out := w.do(t, "admin", "POST", "/api/v1/platforms", map[string]string{"name": "盐城市12351平台对接", "username": "platform-reply"})
	if code != http.StatusCreated {
		t.Fatalf("register the platform: %d %s", code, out)
	}
	var created struct{ Secret string }
	_ = json.Unmarshal(out, &created)
	w.tokens["platform"] = created.Secret

	// The feed serves a change once every older transaction on the server
	// has ended (other packages' tests share it): read until the ticket's
	// close and the other ticket's change have been served, or a minute.
	var changes []gridwarn.TicketChange
	closed := func() bool {
		for _, ch := range changes {
			if ch.Change == "close" {
				return true
			}
		}
		return false
	}
	after := int64(0)
	for deadline := time.Now().Add(time.Minute); ; {
		code, out := w.do(t, "platform", "GET", fmt.Sprintf("/api/v1/feed?after=%d&limit=100", after), nil)
		if code != http.StatusOK {
			t.Fatalf("feed: %d %s", code, out)
		}
		for _, bad := range []string{"13988887777", "褚大海", "褚**", "139****7777"} {
			if strings.Contains(string(out), bad) {
				t.Fatalf("the feed carries %q: %s", bad, out)
			}
		}
		var page struct {
			Events    []json.RawMessage `json:"events"`
			NextAfter int64             `json:"next_after"`
		}
		if err := json.Unmarshal(out, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 {
			if (sawOther && closed()) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		for _, raw := range page.Events {
			if err := contract.ValidateTicketChange(raw); err != nil {
				t.Errorf("event breaks the schema: %v\n%s", err, raw)
			}
			var ev gridwarn.FeedEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Data.TicketID == ticket {
				changes = append(changes, ev.Data)
			} else if ev.Data.TicketID == otherTicket {
				sawOther = true
			}
			if ev.Data.TicketID != ticket && ev.Data.WorkOrder != nil {
				t.Errorf("ticket %d, fed by no platform order, names one: %s", ev.Data.TicketID, raw)
			}
		}
		after = page.NextAfter
	}
	if !sawOther {
		t.Errorf("the feed has no change of ticket %d", otherTicket)
	}
	replies := map[string]string{}
	for _, ch := range changes {
		if ch.WorkOrder == nil || ch.WorkOrder.Number != c.WorkOrder || ch.WorkOrder.PlatformNumber != "YC12351-2026-000456" {
			t.Errorf("change %d (%s) names work order %+v, want %s / YC12351-2026-000456", ch.Sequence, ch.Change, ch.WorkOrder, c.WorkOrder)
			continue
		}
		if ch.WorkOrder.Reply != "" {
			replies[ch.Change] = ch.WorkOrder.Reply
		}
	}
	if want := map[string]string{"reply": gridwarn.WorkOrderAnswered, "close": gridwarn.WorkOrderClosed}; fmt.Sprint(replies) != fmt.Sprint(want) {
		t.Errorf("replies = %v, want %v (changes: %d)", replies, want, len(changes))
	}
}
