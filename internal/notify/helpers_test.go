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

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/testutil"
)

// tinyBackoff keeps retries fast in tests.
var tinyBackoff = []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}

type env struct {
	pool *pgxpool.Pool
	nc   *nats.Conn
	js   jetstream.JetStream
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
	return env{pool: db.Pool(), nc: nc, js: js}
}

func mustRelay(t *testing.T, e env, hooks []Webhook, o Options) *Relay {
	t.Helper()
	if o.Backoff == nil {
		o.Backoff = tinyBackoff
	}
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Millisecond
	}
	r, err := New(e.pool, e.js, hooks, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustEnqueue writes the notifications in one committed transaction.
func mustEnqueue(t *testing.T, pool *pgxpool.Pool, ns ...Notification) {
	t.Helper()
	ctx := t.Context()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, n := range ns {
		if err := Enqueue(ctx, tx, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func opened(ticketID int64) Notification {
	return Notification{Topic: TopicTicketOpened, Subject: Subject("town", "320924100"),
		Payload: TicketPayload{TicketID: ticketID, Enterprise: "91320924MA0000001X", Level: "orange", Tier: "town"}}
}

// runUntil calls RunOnce until done reports true, for at most 30 seconds.
func runUntil(t *testing.T, r *Relay, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatal("the relay did not finish within 30s")
		}
		if _, err := r.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // let the tiny backoffs expire
	}
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

func mustStats(t *testing.T, pool *pgxpool.Pool) Backlog {
	t.Helper()
	b, err := Stats(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// allDone reports whether every notification is published and every
// delivery finished.
func allDone(t *testing.T, pool *pgxpool.Pool) func() bool {
	return func() bool {
		b := mustStats(t, pool)
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

func mustOutbox(t *testing.T, pool *pgxpool.Pool) []outboxState {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT id, published_at IS NOT NULL, attempts, COALESCE(last_error, ''), next_attempt_at FROM outbox ORDER BY id`)
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
