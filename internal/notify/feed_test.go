package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// mustFeedTickets opens n tickets with a few history lines each.
func mustFeedTickets(t *testing.T, e env, n int) {
	t.Helper()
	var batch []gridwarn.Incoming
	for i := range n {
		w := 3 + i
		ev := gridwarn.Event{ID: fmt.Sprintf("feed-%d", i), Enterprise: testutil.CreditCode(i + 1), Category: "wage_arrears",
			OccurredAt: time.Now().Add(-time.Hour), WorkersInvolved: &w}
		batch = append(batch, gridwarn.Incoming{Event: ev, Subject: ev.Subject(), StreamSeq: uint64(i + 1),
			Decision: gridwarn.Decision{Level: gridwarn.LevelBlue, Tier: gridwarn.TierEnterprise, RulesVersion: "test"}})
	}
	if _, err := e.db.ApplyBatch(t.Context(), batch, nil); err != nil {
		t.Fatal(err)
	}
}

// allFeed reads the whole feed once it serves at least `least` events, or
// after a minute. The feed serves a change only when every transaction
// older than it has ended on the whole server, so the other packages'
// tests running beside this one on the same PostgreSQL hold it back for a
// moment: a test waits for the changes it made, never assumes them.
func allFeed(t *testing.T, e env, least int) []gridwarn.FeedEvent {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		p, err := e.db.Feed(t.Context(), gridwarn.Visibility{All: true}, 0, gridwarn.FeedMaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) >= least || time.Now().After(deadline) {
			return p.Events
		}
	}
}

// A webhook that fails is retried with the same event, and the events
// after it wait: the platform receives every event once, in feed order,
// each signed. NATS gets them too, Nats-Msg-Id the event id, and a relay
// that publishes them again (its position lost) adds nothing to the stream.
func TestFeedRelayDeliversInOrderThroughFailures(t *testing.T) {
	e := mustEnv(t)
	testutil.MustSeedDemoCounty(t, e.db)
	mustFeedTickets(t, e, 3)
	want := allFeed(t, e, 6)
	if len(want) < 6 {
		t.Fatalf("the feed holds %d events", len(want))
	}

	const secret = "s"
	var (
		mu       sync.Mutex
		fails    = 2
		attempts []string
		got      []gridwarn.FeedEvent
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := Verify(secret, r.Header.Get(HeaderTimestamp), body, r.Header.Get(HeaderSignature), e.clock.Now(), 0); err != nil {
			t.Errorf("signature: %v", err)
		}
		if err := contract.ValidateTicketChange(body); err != nil {
			t.Errorf("schema: %v", err)
		}
		attempts = append(attempts, r.Header.Get(HeaderDelivery))
		if len(attempts) == 2 && fails > 0 { // the second event fails twice
			fails--
			attempts = attempts[:1]
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var ev gridwarn.FeedEvent
		_ = json.Unmarshal(body, &ev)
		got = append(got, ev)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	if _, err := EnsureFeedStream(t.Context(), e.js); err != nil {
		t.Fatal(err)
	}
	r, err := NewFeedRelay(e.db, FeedOptions{WebhookURL: srv.URL, Secret: secret, JS: e.js, Backoff: testBackoff, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for range 100 {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) {
			break
		}
		if _, err := r.RunOnce(t.Context()); err != nil {
			failures++
		}
		e.clock.pastBackoff()
	}
	if failures != 2 {
		t.Errorf("%d failed rounds, want 2", failures)
	}
	if len(got) != len(want) {
		t.Fatalf("the webhook received %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Position != want[i].Position {
			t.Fatalf("event %d: got %s at %d, want %s at %d", i, got[i].ID, got[i].Position, want[i].ID, want[i].Position)
		}
	}

	stream, err := e.js.Stream(t.Context(), FeedStreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := stream.Info(t.Context())
	if info.State.Msgs != uint64(len(want)) {
		t.Fatalf("the stream holds %d events, want %d", info.State.Msgs, len(want))
	}
	first, err := stream.GetMsg(t.Context(), info.State.FirstSeq)
	if err != nil {
		t.Fatal(err)
	}
	if first.Subject != gridwarn.FeedSubject("320924") || first.Header.Get("Nats-Msg-Id") != want[0].ID {
		t.Errorf("first message %s, Nats-Msg-Id %q; want %s, %s", first.Subject, first.Header.Get("Nats-Msg-Id"),
			gridwarn.FeedSubject("320924"), want[0].ID)
	}
	// A relay that lost its position publishes again: the stream drops
	// the repeats by Nats-Msg-Id.
	if _, err := e.db.Pool().Exec(context.Background(), `UPDATE feed_destinations SET position = 0 WHERE name = $1`, FeedDestNATS); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	info, _ = stream.Info(t.Context())
	if info.State.Msgs != uint64(len(want)) {
		t.Errorf("after a republish the stream holds %d events, want %d", info.State.Msgs, len(want))
	}
}
