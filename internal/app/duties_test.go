package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// TestSeparationOfDuties: a reply is reviewed by someone other than the
// person who replied (issue #14). The town's tier head works a ticket to
// its reply; their own review is 403 with the reason, another tier head's
// review goes through, and the history names each. queue.allow_self_review
// lifts the rule.
func TestSeparationOfDuties(t *testing.T) {
	for _, allowSelf := range []bool{false, true} {
		t.Run(fmt.Sprintf("allow_self_review=%v", allowSelf), func(t *testing.T) {
			a := MustRunApp(t, func(c *config.Config) { c.Queue.AllowSelfReview = allowSelf })
			county := testutil.MustSeedDemoCounty(t, a.DB())
			town := county.Towns[0].Code
			head := "mediator-" + town + "-1"
			tok := testutil.MustToken(t, a.DB(), head)
			ent := ""
			for _, e := range county.Enterprises {
				if e.TownCode == town {
					ent = e.CreditCode
					break
				}
			}
			if ent == "" {
				t.Fatalf("no enterprise in town %s", town)
			}
			w := 40 // orange: the town tier
			e := gridwarn.Event{ID: "duties-1", Enterprise: ent, Category: "wage_arrears", OccurredAt: time.Now().Add(-time.Hour), WorkersInvolved: &w}
			data, _ := json.Marshal(e)
			if _, err := (natsbus.Publisher{JS: a.JetStream()}).PublishRaw(context.Background(), e.Subject(), e.ID, data); err != nil {
				t.Fatal(err)
			}
			var page gridwarn.Page[gridwarn.Ticket]
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if code := call(t, a, tok, "GET", "/api/v1/tickets?enterprise="+ent, nil, &page); code != 200 {
					t.Fatalf("list: %d", code)
				}
				if len(page.Items) == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the ticket did not appear")
				}
			}
			path := fmt.Sprintf("/api/v1/tickets/%d", page.Items[0].ID)
			act := func(token, action string, body any) (int, string) {
				t.Helper()
				var cur gridwarn.TicketDetail
				if code := call(t, a, token, "GET", path, nil, &cur); code != 200 {
					t.Fatalf("detail: %d", code)
				}
				b, _ := json.Marshal(body)
				req, _ := http.NewRequest("POST", "http://"+a.APIAddr()+path+"/"+action, bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, cur.Version))
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				msg, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(msg)
			}
			for _, s := range []struct {
				action string
				body   any
			}{
				{"claim", struct{}{}}, {"accept", struct{}{}}, {"start", struct{}{}},
				{"reply", map[string]any{"outcome": map[string]any{"result": "paid_in_full", "amount_recovered_cny": 1000, "workers_covered": 40}}},
			} {
				if code, msg := act(tok, s.action, s.body); code != 200 {
					t.Fatalf("%s: %d %s", s.action, code, msg)
				}
			}
			code, msg := act(tok, "review", map[string]any{"approved": true})
			if allowSelf {
				if code != 200 {
					t.Fatalf("self-review with allow_self_review: %d %s", code, msg)
				}
				return
			}
			if code != http.StatusForbidden || !strings.Contains(msg, "may not review their own reply") {
				t.Fatalf("self-review: %d %s, want 403 naming the rule", code, msg)
			}
			// Another tier head at the town reviews it: make the second
			// mediator a head for the test.
			other := "mediator-" + town + "-2"
			if _, err := a.DB().Pool().Exec(context.Background(), `UPDATE users SET tier_head = true WHERE username = $1`, other); err != nil {
				t.Fatal(err)
			}
			if code, msg := act(testutil.MustToken(t, a.DB(), other), "review", map[string]any{"approved": true}); code != 200 {
				t.Fatalf("review by %s: %d %s", other, code, msg)
			}
			var d gridwarn.TicketDetail
			call(t, a, tok, "GET", path, nil, &d)
			who := map[string]string{}
			for _, h := range d.History {
				who[string(h.Kind)] = h.Actor
			}
			if who["reply"] != "user:"+head || who["review"] != "user:"+other {
				t.Errorf("history: reply by %q, review by %q; want user:%s and user:%s", who["reply"], who["review"], head, other)
			}
		})
	}
}
