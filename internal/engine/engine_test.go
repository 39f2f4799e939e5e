package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/engine"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/rules"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// harness is a real nats-server with the event stream and the engine's
// durable consumer, and a real PostgreSQL database.
type harness struct {
	t      *testing.T
	js     jetstream.JetStream
	db     *postgres.DB
	cons   jetstream.Consumer
	stream jetstream.Stream
	adv    jetstream.Consumer
	copts  natsbus.ConsumerOptions
}

func newHarness(t *testing.T, copts natsbus.ConsumerOptions, db *postgres.DB) *harness {
	t.Helper()
	if db == nil {
		db, _ = testutil.MustOpenDB(t)
	}
	codes := []string{entA, entB}
	for i := range 20 {
		codes = append(codes, testutil.CreditCode(100+i))
	}
	testutil.MustSeedEnterprises(t, db, codes...)
	s := testutil.MustRunJetStream(t)
	_, js := testutil.MustConnect(t, s)
	ctx := context.Background()
	stream, err := natsbus.EnsureStream(ctx, js, natsbus.StreamOptions{Replicas: 1, MaxAge: time.Hour, MaxMsgSize: 1 << 20, DuplicateWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if copts.Durable == "" {
		copts.Durable = "gridwarn-engine"
	}
	if copts.AckWait == 0 {
		copts.AckWait = 30 * time.Second
	}
	if copts.MaxDeliver == 0 {
		copts.MaxDeliver = 20
	}
	if copts.MaxAckPending == 0 {
		copts.MaxAckPending = 1000
	}
	cons, err := natsbus.EnsureConsumer(ctx, js, copts)
	if err != nil {
		t.Fatal(err)
	}
	adv, err := natsbus.EnsureAdvisories(ctx, js, copts.Durable, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, js: js, db: db, cons: cons, stream: stream, adv: adv, copts: copts}
}

// start runs an engine (and its rescuer) over store until the test ends.
func (h *harness) start(store gridwarn.EventStore, o engine.Options) *engine.Engine {
	h.t.Helper()
	if o.BatchSize == 0 {
		o.BatchSize = 100
	}
	if o.NakDelays == nil {
		o.NakDelays = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond}
	}
	e := engine.New(h.cons, store, rules.Default(), o)
	if err := e.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	r := engine.NewRescuer(e, h.adv, h.stream)
	if err := r.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
		_ = r.Stop(ctx)
	})
	return e
}

func (h *harness) publish(subject, msgID string, data []byte) jetstream.PubAck {
	h.t.Helper()
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ack, err := h.js.PublishMsg(context.Background(), msg, opts...)
	if err != nil {
		h.t.Fatalf("publish: %v", err)
	}
	return *ack
}

func (h *harness) publishEvent(e gridwarn.Event) {
	h.t.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		h.t.Fatal(err)
	}
	h.publish(e.Subject(), e.ID, data)
}

// drained waits until the consumer has delivered and had acknowledged (or
// terminated) every message in the stream.
func (h *harness) drained(timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		info, err := h.cons.Info(context.Background())
		if err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0 {
			si, err := h.stream.Info(context.Background())
			if err == nil && info.AckFloor.Stream == si.State.LastSeq {
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("consumer not drained after %s: %+v", timeout, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) count(q string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.Pool().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	return n
}

var entA, entB = testutil.CreditCode(1), testutil.CreditCode(2)

var t0 = time.Date(2026, 11, 16, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func event(id, ent string, cat gridwarn.Category) gridwarn.Event {
	return gridwarn.Event{ID: id, Enterprise: ent, Category: cat, OccurredAt: t0}
}

func TestDuplicatesAreStoredOnce(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	h.start(h.db, engine.Options{})
	e := event("ev-1", entA, "wage_arrears")
	data, _ := json.Marshal(e)
	first := h.publish(e.Subject(), e.ID, data)
	again := h.publish(e.Subject(), e.ID, data)
	if !again.Duplicate || again.Sequence != first.Sequence {
		t.Fatalf("JetStream did not drop the resend within its window: %+v", again)
	}
	// A resend after the duplicate window: same event id, another Nats-Msg-Id.
	h.publish(e.Subject(), "resent-later", data)
	h.drained(10 * time.Second)
	if n := h.count("SELECT count(*) FROM events WHERE id = 'ev-1'"); n != 1 {
		t.Errorf("event rows = %d, want 1", n)
	}
	if n := h.count("SELECT count(*) FROM tickets"); n != 1 {
		t.Errorf("tickets = %d, want 1", n)
	}
	if n := h.count("SELECT event_count FROM tickets"); n != 1 {
		t.Errorf("event_count = %d, want 1", n)
	}
}

func TestEventsAreGroupedIntoTickets(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	h.start(h.db, engine.Options{})
	h.publishEvent(event("a1", entA, "wage_arrears"))
	h.publishEvent(event("a2", entA, "wage_arrears"))
	h.publishEvent(event("a3", entA, "layoff"))
	h.drained(10 * time.Second)
	if n := h.count("SELECT count(*) FROM tickets"); n != 2 {
		t.Errorf("tickets = %d, want 2 (one per category)", n)
	}
	if n := h.count("SELECT event_count FROM tickets WHERE category = 'wage_arrears'"); n != 2 {
		t.Errorf("wage_arrears ticket has %d events, want 2", n)
	}
	if n := h.count("SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.category = 'wage_arrears'"); n != 2 {
		t.Errorf("events on the wage_arrears ticket = %d, want 2", n)
	}
}

func TestTwoEnginesShareTheConsumer(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	var batches [2]atomic.Int64
	for i := range 2 {
		h.start(h.db, engine.Options{BatchSize: 50, AfterCommit: func(gridwarn.BatchResult) error {
			batches[i].Add(1)
			return nil
		}})
	}
	ents := make([]string, 20)
	for i := range ents {
		ents[i] = testutil.CreditCode(100 + i)
	}
	cats := []gridwarn.Category{"wage_arrears", "layoff", "contract"}
	const total = 2000
	var wg sync.WaitGroup
	for p := range 4 { // four publishers interleave enterprises
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := p; i < total; i += 4 {
				h.publishEvent(event(fmt.Sprintf("ev-%05d", i), ents[i%len(ents)], cats[(i/len(ents))%len(cats)]))
			}
		}(p)
	}
	wg.Wait()
	h.drained(60 * time.Second)
	if n := h.count("SELECT count(*) FROM events"); n != total {
		t.Errorf("events = %d, want %d", n, total)
	}
	if n := h.count("SELECT count(*) FROM inbox"); n != total {
		t.Errorf("inbox = %d, want %d", n, total)
	}
	if n := h.count("SELECT coalesce(sum(event_count), 0) FROM tickets"); n != total {
		t.Errorf("events counted on tickets = %d, want %d", n, total)
	}
	if n := h.count("SELECT count(*) FROM (SELECT 1 FROM tickets WHERE status <> 'closed' GROUP BY enterprise, category HAVING count(*) > 1) x"); n != 0 {
		t.Errorf("%d enterprise/category pairs have two open tickets", n)
	}
	if n := h.count("SELECT count(*) FROM tickets"); n != len(ents)*len(cats) {
		t.Errorf("tickets = %d, want %d", n, len(ents)*len(cats))
	}
	if batches[0].Load() == 0 || batches[1].Load() == 0 {
		t.Errorf("batches per engine = %d, %d; both engines should have worked", batches[0].Load(), batches[1].Load())
	}
}

// A crash after the commit and before the acknowledgements: the messages
// are redelivered, and nothing is stored twice.
func TestCrashAfterCommitBeforeAck(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{AckWait: time.Second}, nil)
	var crashed atomic.Int64
	crashing := h.start(h.db, engine.Options{AfterCommit: func(res gridwarn.BatchResult) error {
		crashed.Add(int64(res.Stored))
		return errors.New("simulated crash before ack")
	}})
	for i := range 10 {
		h.publishEvent(event(fmt.Sprintf("c-%d", i), entA, "wage_arrears"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for crashed.Load() < 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := crashing.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if crashed.Load() != 10 {
		t.Fatalf("the crashing engine committed %d events, want 10", crashed.Load())
	}
	var dups atomic.Int64
	h.start(h.db, engine.Options{AfterCommit: func(res gridwarn.BatchResult) error {
		dups.Add(int64(res.Duplicates))
		return nil
	}})
	h.drained(15 * time.Second)
	if n := h.count("SELECT count(*) FROM events"); n != 10 {
		t.Errorf("events = %d, want 10", n)
	}
	if n := h.count("SELECT event_count FROM tickets"); n != 10 {
		t.Errorf("event_count = %d, want 10", n)
	}
	if n := h.count("SELECT count(*) FROM ticket_history WHERE kind = 'event_attached'"); n != 10 {
		t.Errorf("history attachments = %d, want 10", n)
	}
	if dups.Load() < 10 {
		t.Errorf("redelivered duplicates seen = %d, want every message redelivered and skipped", dups.Load())
	}
}

func TestPoisonMessagesBecomeDeadLetters(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	h.start(h.db, engine.Options{MaxEventBytes: 1024})
	subj := "gridwarn.events.320924"
	h.publish(subj, "m1", []byte(`{"id": "broken`))
	h.publish(subj, "m2", []byte(`{"id":"s1","enterprise":"91320924MA1100231L","category":"rumours","occurred_at":"2026-11-20T09:00:00+08:00","workers_involved":-1}`))
	h.publish(subj, "m3", []byte(`{"id":"big","summary":"`+strings.Repeat("x", 2000)+`"}`))
	h.publish(subj, "m4", []byte(`{"id":"u1","enterprise":"91320924MA1100231L","category":"other","occurred_at":"2026-11-20T09:00:00+08:00","boss":"x"}`))
	h.publishEvent(event("good-after", entA, "wage_arrears")) // the engine keeps going
	h.drained(10 * time.Second)

	ds, err := h.db.ListDeadLetters(context.Background(), gridwarn.Visibility{All: true}, gridwarn.DeadLetterFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]gridwarn.DeadLetter{}
	for _, d := range ds {
		got[d.MsgID] = d
	}
	for msgID, want := range map[string]struct {
		reason gridwarn.DeadLetterReason
		detail []string
	}{
		"m1": {gridwarn.ReasonMalformedJSON, []string{"(document)"}},
		"m2": {gridwarn.ReasonSchemaViolation, []string{"category", "workers_involved"}},
		"m3": {gridwarn.ReasonOversize, []string{"1024"}},
		"m4": {gridwarn.ReasonSchemaViolation, []string{"boss", "unknown_field"}},
	} {
		d, ok := got[msgID]
		if !ok {
			t.Errorf("%s: no dead letter", msgID)
			continue
		}
		if d.Reason != want.reason || len(d.Raw) == 0 || d.StreamSeq == 0 {
			t.Errorf("%s: %+v, want reason %s with the raw bytes", msgID, d, want.reason)
		}
		for _, w := range want.detail {
			if !strings.Contains(d.Detail, w) {
				t.Errorf("%s: detail %q does not mention %q", msgID, d.Detail, w)
			}
		}
	}
	if len(ds) != 4 {
		t.Errorf("dead letters = %d, want 4", len(ds))
	}
	if n := h.count("SELECT count(*) FROM events WHERE id = 'good-after'"); n != 1 {
		t.Errorf("the good event after the poison ones was not stored")
	}
}

// flaky fails the first n batches as if the database were unreachable.
type flaky struct {
	gridwarn.EventStore
	left atomic.Int64
}

func (f *flaky) ApplyBatch(ctx context.Context, items []gridwarn.Incoming, dead []gridwarn.DeadLetter) (gridwarn.BatchResult, error) {
	if f.left.Add(-1) >= 0 {
		return gridwarn.BatchResult{}, &gridwarn.Error{Code: gridwarn.EUNAVAILABLE, Message: "database unavailable (injected)"}
	}
	return f.EventStore.ApplyBatch(ctx, items, dead)
}

func (f *flaky) ApplyDecided(ctx context.Context, items []gridwarn.Incoming, dead []gridwarn.DeadLetter, since time.Time, decide gridwarn.DecideFunc) (gridwarn.BatchResult, error) {
	if f.left.Add(-1) >= 0 {
		return gridwarn.BatchResult{}, &gridwarn.Error{Code: gridwarn.EUNAVAILABLE, Message: "database unavailable (injected)"}
	}
	return f.EventStore.ApplyDecided(ctx, items, dead, since, decide)
}

// A message that runs out of deliveries during an outage is not lost: the
// rescuer stores it from the max-deliveries advisory.
func TestMessagesOutOfDeliveriesAreRescued(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{MaxDeliver: 2}, nil)
	store := &flaky{EventStore: h.db}
	store.left.Store(2) // both deliveries fail
	h.start(store, engine.Options{NakDelays: []time.Duration{50 * time.Millisecond}})
	h.publishEvent(event("r-1", entA, "wage_arrears"))
	deadline := time.Now().Add(15 * time.Second)
	for h.count("SELECT count(*) FROM events WHERE id = 'r-1'") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the event that ran out of deliveries was never stored")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := h.count("SELECT count(*) FROM dead_letters"); n != 0 {
		t.Errorf("dead letters = %d, want 0 (the event was valid)", n)
	}
}

// PostgreSQL stopped while events arrive, then started again: nothing is
// acknowledged before it is committed, and afterwards every event is stored
// exactly once.
func TestDatabaseDownThenUp(t *testing.T) {
	cluster := testutil.MustStartCluster(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Options{URL: cluster.URL(), MaxConns: 5, ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, natsbus.ConsumerOptions{AckWait: 5 * time.Second, MaxDeliver: 100}, db)
	h.start(db, engine.Options{BatchSize: 10, NakDelays: []time.Duration{200 * time.Millisecond, 500 * time.Millisecond}})

	h.publishEvent(event("before", entA, "wage_arrears"))
	h.drained(10 * time.Second)

	cluster.Stop(t)
	const n = 40
	for i := range n {
		h.publishEvent(event(fmt.Sprintf("down-%d", i), []string{entA, entB}[i%2], "wage_arrears"))
	}
	// While the database is down the engine keeps trying (and failing):
	// the acknowledgement floor must not move past the first event.
	var info *jetstream.ConsumerInfo
	waitFor(t, "the engine to try and fail", func() bool {
		var err error
		info, err = h.cons.Info(ctx)
		return err == nil && info.NumRedelivered > 0
	})
	if info.AckFloor.Stream != 1 {
		t.Fatalf("ack floor moved to %d while the database was down; nothing may be acknowledged before it is committed", info.AckFloor.Stream)
	}

	cluster.Start(t)
	h.drained(60 * time.Second)
	h.storedOnce(t, n+1)
}

// storedOnce checks that exactly n distinct events are stored, each
// counted once on its ticket, and that nothing was set aside.
func (h *harness) storedOnce(t *testing.T, n int) {
	t.Helper()
	if got := h.count("SELECT count(*) FROM events"); got != n {
		t.Errorf("events = %d, want %d", got, n)
	}
	if got := h.count("SELECT count(DISTINCT id) FROM events"); got != n {
		t.Errorf("distinct events = %d, want %d", got, n)
	}
	if got := h.count("SELECT coalesce(sum(event_count), 0) FROM tickets"); got != n {
		t.Errorf("events counted on tickets = %d, want %d (each once)", got, n)
	}
	if got := h.count("SELECT count(*) FROM dead_letters"); got != 0 {
		t.Errorf("dead letters = %d, want 0", got)
	}
}

// An event about an enterprise that is not in the registry waits as a dead
// letter; once the enterprise is registered, re-driving it stores it once.
func TestUnknownEnterpriseIsADeadLetterUntilRegistered(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	h.start(h.db, engine.Options{})
	stranger := testutil.CreditCode(999)
	e := event("stranger-1", stranger, "wage_arrears")
	h.publishEvent(e)
	h.drained(10 * time.Second)
	ds, err := h.db.ListDeadLetters(context.Background(), gridwarn.Visibility{All: true}, gridwarn.DeadLetterFilter{})
	if err != nil || len(ds) != 1 || ds[0].Reason != gridwarn.ReasonUnknownEnterprise || ds[0].EventID != "stranger-1" {
		t.Fatalf("dead letters = %+v, %v; want one unknown_enterprise", ds, err)
	}
	testutil.MustSeedEnterprises(t, h.db, stranger)
	for range 2 { // replaying twice stores it once
		h.publish(ds[0].Subject, fmt.Sprintf("replay-%d-%d", ds[0].ID, time.Now().UnixNano()), ds[0].Raw)
	}
	h.drained(10 * time.Second)
	if n := h.count("SELECT count(*) FROM events WHERE id = 'stranger-1'"); n != 1 {
		t.Errorf("events = %d, want 1", n)
	}
	if n := h.count("SELECT count(*) FROM tickets WHERE enterprise = $1 AND town_code = $2", stranger, testutil.TownA); n != 1 {
		t.Errorf("tickets in the enterprise's town = %d, want 1", n)
	}
}

// An event whose credit code has a wrong check character is set aside with
// a reason of its own that names the character, never as an enterprise
// still to be registered (the registry refuses such a code, so "add it,
// then replay" could never work).
func TestWrongCheckCharacterIsADeadLetterOfItsOwn(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	h.start(h.db, engine.Options{})
	want := entA[17:]
	wrong := entA[:17] + map[bool]string{true: "0", false: "1"}[want != "0"]
	e := event("wrong-check-1", wrong, "wage_arrears")
	h.publishEvent(e)
	h.publishEvent(event("good-after-check", entA, "wage_arrears"))
	h.drained(10 * time.Second)

	ds, err := h.db.ListDeadLetters(context.Background(), gridwarn.Visibility{All: true}, gridwarn.DeadLetterFilter{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("dead letters = %+v, %v; want one", ds, err)
	}
	msg := fmt.Sprintf("character 18 (check character) is '%s', want '%s'", wrong[17:], want)
	if d := ds[0]; d.Reason != gridwarn.ReasonInvalidCreditCode || d.EventID != "wrong-check-1" ||
		!strings.Contains(d.Detail, "enterprise: "+msg) || strings.Contains(d.Detail, "replay") {
		t.Errorf("dead letter %+v; want reason %s and the detail %q", d, gridwarn.ReasonInvalidCreditCode, msg)
	}
	// What `gridwarn dead-letters replay` re-drives by default leaves it.
	again, err := h.db.ListDeadLetters(context.Background(), gridwarn.Visibility{All: true},
		gridwarn.DeadLetterFilter{Reason: gridwarn.DefaultReplayReason, NotReplayed: true})
	if err != nil || len(again) != 0 {
		t.Errorf("dead letters replayed by default = %+v, %v; want none", again, err)
	}
	if n := h.count("SELECT count(*) FROM events WHERE id = 'good-after-check'"); n != 1 {
		t.Errorf("the good event after it was not stored")
	}
}
