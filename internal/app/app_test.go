package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// MustRunApp starts the whole app in-process: embedded NATS on a free port,
// a fresh database, the API on 127.0.0.1:0.
func MustRunApp(tb testing.TB, opts ...func(*config.Config)) *app.App {
	tb.Helper()
	cfg := config.Default()
	cfg.DataDir = tb.TempDir()
	cfg.Database.URL = testutil.MustCreateDatabase(tb)
	cfg.NATS.Embedded.Port = -1
	cfg.API.Listen = "127.0.0.1:0"
	cfg.Scheduler.ConsumerStats = "@every 1s"
	cfg.UI.BcryptCost = 4 // fast sign-ins under -race
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	a := app.New(cfg, nil)
	if err := a.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			tb.Errorf("stop: %v", err)
		}
	})
	return a
}

// callIfMatch POSTs an action with If-Match.
func callIfMatch(t *testing.T, a *app.App, token, path string, version int, body any) int {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest("POST", "http://"+a.APIAddr()+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, version))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func call(t *testing.T, a *app.App, token, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+a.APIAddr()+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

// Publish → the ticket is visible through the API → close it; the history
// shows each step.
func TestPublishToClosedTicket(t *testing.T) {
	a := MustRunApp(t)
	county := testutil.MustSeedDemoCounty(t, a.DB())
	token := testutil.MustToken(t, a.DB(), "mediator-county-1")
	ent := county.Enterprises[0].CreditCode
	pub := natsbus.Publisher{JS: a.JetStream()}
	var page gridwarn.Page[gridwarn.Ticket]
	// Two signals one after the other: 12 workers (blue), then 40 (orange).
	for i, w := range []int{12, 40} {
		e := gridwarn.Event{ID: fmt.Sprintf("e2e-%d", i), Enterprise: ent, Category: "wage_arrears",
			OccurredAt: time.Now().Add(-time.Hour), WorkersInvolved: &w}
		data, _ := json.Marshal(e)
		if _, err := pub.PublishRaw(context.Background(), e.Subject(), e.ID, data); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if code := call(t, a, token, "GET", "/api/v1/tickets?enterprise="+ent, nil, &page); code != 200 {
				t.Fatalf("list: %d", code)
			}
			if len(page.Items) == 1 && page.Items[0].EventCount == i+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ticket with %d events not visible: %+v", i+1, page)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	tk := page.Items[0]
	if tk.Level != gridwarn.LevelOrange || tk.Tier != gridwarn.TierTown || tk.Status != gridwarn.StatusDispatched {
		t.Errorf("ticket = %+v, want orange, dispatched to the town", tk)
	}
	// The town's second mediator works it to the end, each step at the
	// version they saw (If-Match); the town's tier head reviews the reply
	// (separation of duties: not the person who replied).
	worker := "mediator-" + tk.TownCode + "-2"
	tokens := map[string]string{worker: testutil.MustToken(t, a.DB(), worker)}
	head := "mediator-" + tk.TownCode + "-1"
	tokens[head] = testutil.MustToken(t, a.DB(), head)
	path := fmt.Sprintf("/api/v1/tickets/%d", tk.ID)
	step := func(who, action string, body any, want int) {
		t.Helper()
		var cur gridwarn.TicketDetail
		if code := call(t, a, tokens[who], "GET", path, nil, &cur); code != 200 {
			t.Fatalf("detail: %d", code)
		}
		if code := callIfMatch(t, a, tokens[who], path+"/"+action, cur.Version, body); code != want {
			t.Fatalf("%s by %s: %d, want %d", action, who, code, want)
		}
	}
	step(worker, "close", map[string]string{"note": "too early"}, http.StatusConflict)
	step(worker, "claim", nil, 200)
	step(worker, "accept", nil, 200)
	step(worker, "start", nil, 200)
	step(worker, "reply", map[string]any{"outcome": map[string]any{"result": "paid_in_full", "amount_recovered_cny": 180000, "workers_covered": 40}}, 200)
	step(head, "review", map[string]any{"approved": true}, 200)
	step(worker, "callback", map[string]any{"satisfied": true}, 200)
	step(worker, "close", map[string]string{"note": "wages paid in full"}, 200)
	step(worker, "close", map[string]string{"note": "again"}, http.StatusConflict)
	var d gridwarn.TicketDetail
	if code := call(t, a, token, "GET", path, nil, &d); code != 200 || d.Status != gridwarn.StatusClosed {
		t.Fatalf("detail: %d %s", code, d.Status)
	}
	var steps []string
	for _, h := range d.History {
		steps = append(steps, string(h.Kind))
		// The history says who took each step.
		switch h.Kind {
		case "reply", "close":
			if h.Actor != "user:"+worker {
				t.Errorf("%s by %q, want user:%s", h.Kind, h.Actor, worker)
			}
		case "review":
			if h.Actor != "user:"+head {
				t.Errorf("review by %q, want user:%s", h.Actor, head)
			}
		}
	}
	want := "[opened event_attached dispatch event_attached level_raised escalate claim accept start reply review callback close]"
	if fmt.Sprint(steps) != want || len(d.Events) != 2 {
		t.Errorf("history = %v with %d events, want %s with 2 events", steps, len(d.Events), want)
	}
	if code := call(t, a, token, "GET", "/readyz", nil, nil); code != 200 {
		t.Errorf("readyz = %d", code)
	}
}
