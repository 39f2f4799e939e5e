package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/notify"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// platform is the governance platform's webhook receiver: it verifies
// every request's signature and keeps the events.
type platform struct {
	mu     sync.Mutex
	events []gridwarn.FeedEvent
	bad    []string
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := notify.Verify(feedSecret, r.Header.Get(notify.HeaderTimestamp), body, r.Header.Get(notify.HeaderSignature), time.Now(), 0); err != nil {
		p.bad = append(p.bad, "signature: "+err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/cloudevents+json") {
		p.bad = append(p.bad, "content type "+ct)
	}
	if err := contract.ValidateTicketChange(body); err != nil {
		p.bad = append(p.bad, "schema: "+err.Error())
	}
	var ev gridwarn.FeedEvent
	if err := json.Unmarshal(body, &ev); err != nil || r.Header.Get(notify.HeaderDelivery) != ev.ID {
		p.bad = append(p.bad, fmt.Sprintf("delivery %q for %s: %v", r.Header.Get(notify.HeaderDelivery), body, err))
	}
	p.events = append(p.events, ev)
	w.WriteHeader(http.StatusNoContent)
}

func (p *platform) got() ([]gridwarn.FeedEvent, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]gridwarn.FeedEvent(nil), p.events...), append([]string(nil), p.bad...)
}

const feedSecret = "platform-secret"

// The feed end to end: a grid worker's report (with a caller's name and
// phone number in its words) and a mediator's steps reach the governance
// platform three ways — pulled with GET /api/v1/feed, POSTed to its
// webhook (signed), published on NATS gridwarn.feed.<county> — each ticket
// change once, in order, valid against the schema, with no personal data.
func TestFeedReachesThePlatform(t *testing.T) {
	recv := &platform{}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	a := MustRunApp(t, func(c *config.Config) {
		c.Feed.WebhookURL, c.Feed.Secret, c.Feed.NATS, c.Feed.PollInterval = srv.URL, feedSecret, true, 20*time.Millisecond
	})
	ctx := context.Background()
	db := a.DB()
	county := testutil.MustSeedDemoCounty(t, db)
	gw := demo.DemoLogins()[gridwarn.RoleGridWorker]
	var gridA string
	for _, u := range county.Users {
		if u.Username == gw {
			gridA = u.Scope.GridCodes[0]
		}
	}
	var ent gridwarn.Enterprise
	for _, e := range county.Enterprises {
		if e.GridCode == gridA {
			ent = e
			break
		}
	}
	tokGW, tokLeader := testutil.MustToken(t, db, gw), testutil.MustToken(t, db, "leader")
	tokMed := testutil.MustToken(t, db, "mediator-"+ent.TownCode+"-1")

	const phone, name = "13987654321", "李大伟"
	report := map[string]any{"id": "feed-1", "enterprise": ent.CreditCode, "category": "wage_arrears",
		"occurred_at": time.Now().Add(-time.Hour).Format(time.RFC3339), "workers_involved": 12,
		"summary": name + " called from " + phone + ": three months unpaid"}
	if code := call(t, a, tokGW, "POST", "/api/v1/reports", report, nil); code != http.StatusAccepted {
		t.Fatalf("report: %d", code)
	}
	var tk gridwarn.Ticket
	for deadline := time.Now().Add(20 * time.Second); tk.ID == 0; {
		var page gridwarn.Page[gridwarn.Ticket]
		call(t, a, tokLeader, "GET", "/api/v1/tickets?enterprise="+ent.CreditCode, nil, &page)
		if len(page.Items) == 1 {
			tk = page.Items[0]
		} else if time.Now().After(deadline) {
			t.Fatal("the reported ticket never appeared")
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	path := fmt.Sprintf("/api/v1/tickets/%d/", tk.ID)
	for _, step := range []struct {
		action string
		body   any
	}{
		{"claim", nil}, {"accept", nil},
		{"notes", map[string]string{"note": "call " + name + " back on " + phone}},
		{"contacts", map[string]any{"contact": map[string]any{"kind": "phone_call", "held_at": time.Now().Add(-time.Minute).Format(time.RFC3339),
			"attendees": []string{name}, "summary": phone}}},
	} {
		var cur gridwarn.Ticket
		call(t, a, tokMed, "GET", fmt.Sprintf("/api/v1/tickets/%d", tk.ID), nil, &cur)
		if code := callIfMatch(t, a, tokMed, path+step.action, cur.Version, step.body); code != http.StatusOK {
			t.Fatalf("%s: %d", step.action, code)
		}
	}
	var hist gridwarn.Page[gridwarn.HistoryEntry]
	call(t, a, tokLeader, "GET", fmt.Sprintf("/api/v1/tickets/%d/history", tk.ID), nil, &hist)
	want := len(hist.Items)
	if want < 5 {
		t.Fatalf("history has %d lines: %+v", want, hist.Items)
	}

	// 1. Pulled from the start by the county's platform account.
	var pulled []gridwarn.FeedEvent
	after := int64(0)
	for deadline := time.Now().Add(time.Minute); len(pulled) < want; {
		var page struct {
			Events    []json.RawMessage `json:"events"`
			NextAfter int64             `json:"next_after"`
		}
		if code := call(t, a, tokLeader, "GET", fmt.Sprintf("/api/v1/feed?after=%d&limit=2", after), nil, &page); code != http.StatusOK {
			t.Fatalf("feed: %d", code)
		}
		for _, raw := range page.Events {
			if err := contract.ValidateTicketChange(raw); err != nil {
				t.Errorf("pulled event breaks the schema: %v\n%s", err, raw)
			}
			for _, secret := range []string{phone, name, gw, "mediator-"} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("pulled event holds %q: %s", secret, raw)
				}
			}
			var ev gridwarn.FeedEvent
			_ = json.Unmarshal(raw, &ev)
			pulled = append(pulled, ev)
		}
		after = page.NextAfter
		if len(page.Events) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("pulled %d events, want %d", len(pulled), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	inOrderOnce(t, "pulled", pulled, tk.ID, want)

	// 2. Pushed to the webhook, signed.
	var pushed []gridwarn.FeedEvent
	for deadline := time.Now().Add(time.Minute); ; {
		var bad []string
		pushed, bad = recv.got()
		for _, b := range bad {
			t.Error(b)
		}
		if len(bad) > 0 {
			t.FailNow()
		}
		if len(pushed) >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook received %d events, want %d", len(pushed), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	inOrderOnce(t, "pushed", pushed, tk.ID, want)

	// 3. Published on gridwarn.feed.<county>, Nats-Msg-Id the event id.
	js := a.JetStream()
	subject := gridwarn.FeedSubject(ent.CountyCode())
	var published []gridwarn.FeedEvent
	for deadline := time.Now().Add(time.Minute); ; {
		s, err := js.Stream(ctx, notify.FeedStreamName)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs >= uint64(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stream holds %d events, want %d", info.State.Msgs, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cons, err := js.OrderedConsumer(ctx, notify.FeedStreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.FetchNoWait(want + 10)
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		var ev gridwarn.FeedEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		if id := m.Headers().Get("Nats-Msg-Id"); id != ev.ID {
			t.Errorf("Nats-Msg-Id %q for event %s", id, ev.ID)
		}
		if err := contract.ValidateTicketChange(m.Data()); err != nil {
			t.Errorf("published event breaks the schema: %v", err)
		}
		published = append(published, ev)
	}
	inOrderOnce(t, "published", published, tk.ID, want)
}

// inOrderOnce checks that evs hold ticket id's changes 1..want once, in
// order.
func inOrderOnce(t *testing.T, how string, evs []gridwarn.FeedEvent, id int64, want int) {
	t.Helper()
	var seqs []int64
	for _, e := range evs {
		if e.Data.TicketID == id {
			seqs = append(seqs, e.Data.Sequence)
		}
	}
	if len(seqs) != want {
		t.Errorf("%s: ticket %d's sequences %v, want 1..%d", how, id, seqs, want)
		return
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Errorf("%s: ticket %d's sequences %v, want 1..%d once in order", how, id, seqs, want)
			return
		}
	}
}

// The governance platform's account: registered by the county's
// administrator (town B's: 403), it reads the feed and its own account,
// and every other route of the API answers it 403.
func TestPlatformReadsTheFeedAndNothingElse(t *testing.T) {
	w := newWorld(t)
	body := map[string]string{"name": "射阳县一体化数据共享平台", "username": "platform-test"}
	if code, out := w.do(t, "admin-b", "POST", "/api/v1/platforms", body); code != http.StatusForbidden {
		t.Errorf("town B's administrator registers a platform: %d %s", code, out)
	}
	code, out := w.do(t, "admin", "POST", "/api/v1/platforms", body)
	if code != http.StatusCreated {
		t.Fatalf("register: %d %s", code, out)
	}
	var created struct {
		User   gridwarn.User `json:"user"`
		Secret string        `json:"secret"`
	}
	if err := json.Unmarshal(out, &created); err != nil || created.Secret == "" || created.User.Role != gridwarn.RolePlatform {
		t.Fatalf("registered: %s (%v)", out, err)
	}
	if code, _ := w.do(t, "admin", "POST", "/api/v1/platforms", body); code != http.StatusConflict {
		t.Errorf("the same username again: %d, want 409", code)
	}
	// Never as a person: the people's form and import refuse the role.
	if code, out := w.do(t, "admin", "POST", "/api/v1/users", map[string]any{"username": "platform-2", "display_name": "x", "role": "platform",
		"scope": map[string]string{"kind": "county", "unit_code": "320924"}}); code != http.StatusBadRequest {
		t.Errorf("a platform created as a person: %d %s", code, out)
	}
	w.tokens["platform"] = created.Secret
	for _, r := range w.a.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		target := regexp.MustCompile(`:[a-z_]+|\*[a-z_]+`).ReplaceAllString(path, "1")
		var b any
		if method != http.MethodGet {
			b = map[string]any{}
		}
		code, out := w.do(t, "platform", method, target, b)
		switch r {
		case "GET /api/v1/feed", "GET /api/v1/me":
			if code != http.StatusOK {
				t.Errorf("%s: %d %s, want 200", r, code, out)
			}
		default:
			if code != http.StatusForbidden {
				t.Errorf("%s: %d %.200s, want 403", r, code, out)
			}
		}
	}
}

func init() {
	accessTable["POST /api/v1/platforms"] = access{
		path: func(*world) string { return "/api/v1/platforms" },
		body: func(*world) any {
			return map[string]string{"name": "射阳县一体化数据共享平台", "username": "platform-320924"}
		},
		// Only the county's administrator registers the county's platform.
		outsider: "admin-b", outsiderCode: 403, forbidden: "leader",
	}
}
