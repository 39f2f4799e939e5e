package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// testBackoff is the relays' backoff in tests; their clock is moved past
// it instead of waiting.
var testBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}

// clock is a relay's clock in a test: real time (or a fixed time at, which
// must be later than the rows of the test) plus a skip that the test moves
// forward past the backoffs instead of sleeping. Rows the database stamps
// with its own now() are therefore always due.
type clock struct {
	mu   sync.Mutex
	at   time.Time
	skip time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now().Add(c.skip)
	}
	return c.at.Add(c.skip)
}

// Advance moves the clock forward by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skip += d
}

// pastBackoff moves the clock past the longest test backoff.
func (c *clock) pastBackoff() { c.Advance(testBackoff[len(testBackoff)-1] + time.Second) }

type env struct {
	db    *postgres.DB
	nc    *nats.Conn
	js    jetstream.JetStream
	clock *clock
}

// mustEnv opens a fresh migrated database and a JetStream server with the
// notification stream.
func mustEnv(t *testing.T) env {
	t.Helper()
	db, _ := testutil.MustOpenDB(t)
	s := testutil.MustRunJetStream(t)
	nc, js := testutil.MustConnect(t, s)
	if _, err := EnsureStream(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	return env{db: db, nc: nc, js: js, clock: &clock{}}
}

// mustRelay is a relay over e's outbox on e's clock, unless o has a clock.
func mustRelay(t *testing.T, e env, hooks []Webhook, o Options) *Relay {
	t.Helper()
	if o.Backoff == nil {
		o.Backoff = testBackoff
	}
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = e.clock.Now
	}
	r, err := New(e.db, e.js, hooks, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustEnqueue writes the notifications in one committed transaction.
func mustEnqueue(t *testing.T, db *postgres.DB, ns ...gridwarn.Notification) {
	t.Helper()
	if err := db.Enqueue(t.Context(), ns...); err != nil {
		t.Fatal(err)
	}
}

func opened(ticketID int64) gridwarn.Notification {
	return gridwarn.Notification{Topic: gridwarn.TopicTicketOpened, Subject: gridwarn.NotifySubject("town", "320924100"),
		Payload: gridwarn.TicketPayload{TicketID: ticketID, Enterprise: "91320924MA0000001X", Level: "orange", Tier: "town"}}
}

// runUntil calls RunOnce until done reports true, moving the relay's clock
// past the backoffs between rounds; it fails after 1,000 rounds.
func runUntil(t *testing.T, r *Relay, c *clock, done func() bool) {
	t.Helper()
	for range 1000 {
		if done() {
			return
		}
		if _, err := r.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		c.pastBackoff()
	}
	t.Fatal("the relay did not finish in 1,000 rounds")
}

// eventually polls cond for at most 30 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustStats(t *testing.T, db *postgres.DB) gridwarn.OutboxBacklog {
	t.Helper()
	b, err := db.OutboxBacklog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// allDone reports whether every notification is published and every
// delivery finished.
func allDone(t *testing.T, db *postgres.DB) func() bool {
	return func() bool {
		b := mustStats(t, db)
		return b.Unpublished == 0 && b.PendingDeliveries == 0
	}
}

type outboxState struct {
	id          int64
	published   bool
	attempts    int
	lastError   string
	nextAttempt time.Time
}

// mustOutbox reads the outbox's rows (a test's look inside the table).
func mustOutbox(t *testing.T, db *postgres.DB) []outboxState {
	t.Helper()
	rows, err := db.Pool().Query(t.Context(), `SELECT id, published_at IS NOT NULL, attempts, COALESCE(last_error, ''), next_attempt_at FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxState
	for rows.Next() {
		var o outboxState
		if err := rows.Scan(&o.id, &o.published, &o.attempts, &o.lastError, &o.nextAttempt); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// streamIDs returns how many messages the notification stream holds and
// how often each Nats-Msg-Id occurs.
func streamIDs(t *testing.T, js jetstream.JetStream) (uint64, map[string]int) {
	t.Helper()
	ctx := t.Context()
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		ids[m.Header.Get(jetstream.MsgIDHeader)]++
	}
	return info.State.Msgs, ids
}

// request is what a receiver got.
type request struct {
	deliveryID, topic, timestamp, signature string
	query                                   url.Values
	rawQuery                                string
	body                                    []byte
	answered                                int // the status code sent back, 0: connection dropped
}

// receiver records requests; respond decides the answer to the n-th
// attempt (from 1) of a delivery id: a status code, or 0 to drop the
// connection. Nil answers 200.
type receiver struct {
	*httptest.Server
	respond func(attempt int) int
	okBody  func(attempt int) string // the body of a 200 answer

	mu       sync.Mutex
	requests []request
	attempts map[string]int
}

func newReceiver(t *testing.T, respond func(attempt int) int) *receiver {
	return startReceiver(t, &receiver{respond: respond})
}

// startReceiver starts rv, configured.
func startReceiver(t *testing.T, rv *receiver) *receiver {
	rv.attempts = map[string]int{}
	rv.Server = httptest.NewServer(rv)
	t.Cleanup(rv.Close)
	return rv
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get(HeaderDelivery)
	rv.mu.Lock()
	rv.attempts[id]++
	n := rv.attempts[id]
	rv.mu.Unlock()
	code := http.StatusOK
	if rv.respond != nil {
		code = rv.respond(n)
	}
	req := request{deliveryID: id, topic: r.Header.Get(HeaderWebhookTopic), timestamp: r.Header.Get(HeaderTimestamp),
		signature: r.Header.Get(HeaderSignature), query: r.URL.Query(), rawQuery: r.URL.RawQuery, body: body, answered: code}
	rv.mu.Lock()
	rv.requests = append(rv.requests, req)
	rv.mu.Unlock()
	if code == 0 {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.WriteHeader(code)
	if code == http.StatusOK && rv.okBody != nil {
		_, _ = io.WriteString(w, rv.okBody(n))
	}
}

func (rv *receiver) got() []request {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]request(nil), rv.requests...)
}

// delivered returns the requests answered 2xx.
func (rv *receiver) delivered() []request {
	var out []request
	for _, r := range rv.got() {
		if r.answered >= 200 && r.answered < 300 {
			out = append(out, r)
		}
	}
	return out
}

func decodeEnvelope(t *testing.T, body []byte) Envelope {
	t.Helper()
	var e Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return e
}
