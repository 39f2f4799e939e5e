package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

func TestRollbackDeliversNothingCommitDeliversOnce(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	ctx := t.Context()
	sub, err := e.nc.SubscribeSync("gridwarn.notify.>")
	if err != nil {
		t.Fatal(err)
	}
	signed := newReceiver(t, nil)
	openedOnly := newReceiver(t, nil)
	breachOnly := newReceiver(t, nil)
	const secret = "whsec-test"
	now := time.Now().Add(time.Hour).Truncate(time.Second) // later than the rows
	e.clock.at = now
	r := mustRelay(t, e, []Webhook{
		{Name: "signed", URL: signed.URL, Secret: secret},
		{Name: "opened-only", URL: openedOnly.URL, Topics: []string{"ticket.opened"}},
		{Name: "breach-only", URL: breachOnly.URL, Topics: []string{gridwarn.TopicBreach}},
	}, Options{})

	// With an invalid notification the transaction writes none: never delivered.
	invalid := opened(3)
	invalid.Subject = "gridwarn.events.320924"
	if err := e.db.Enqueue(ctx, opened(1), invalid); gridwarn.ErrorCode(err) != gridwarn.EINVALID {
		t.Fatalf("Enqueue with an invalid notification = %v, want %s", err, gridwarn.EINVALID)
	}
	// Committed: delivered once.
	mustEnqueue(t, e.db, opened(2))

	runUntil(t, r, e.clock, allDone(t, e.db))
	// More rounds change nothing.
	for range 3 {
		if n, err := r.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("RunOnce after the end = %d, %v; want 0, nil", n, err)
		}
	}

	rows := mustOutbox(t, e.db)
	if len(rows) != 1 || !rows[0].published || rows[0].attempts != 1 {
		t.Fatalf("outbox = %+v, want one published row", rows)
	}
	id := rows[0].id
	msgID := "outbox-" + strconv.FormatInt(id, 10)

	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get(jetstream.MsgIDHeader); got != msgID {
		t.Errorf("Nats-Msg-Id = %q, want %q", got, msgID)
	}
	if got := msg.Header.Get(HeaderTopic); got != gridwarn.TopicTicketOpened {
		t.Errorf("%s = %q", HeaderTopic, got)
	}
	if msg.Subject != "gridwarn.notify.town.320924100" {
		t.Errorf("subject = %q", msg.Subject)
	}
	ne := decodeEnvelope(t, msg.Data)
	if ne.DeliveryID != msgID || ne.Topic != gridwarn.TopicTicketOpened || ne.Subject != msg.Subject {
		t.Errorf("NATS envelope = %+v", ne)
	}
	var p gridwarn.TicketPayload
	if err := json.Unmarshal(ne.Payload, &p); err != nil || p.TicketID != 2 || p.Level != "orange" {
		t.Errorf("payload = %s (%v), want ticket 2", ne.Payload, err)
	}
	if m, err := sub.NextMsg(200 * time.Millisecond); !errors.Is(err, nats.ErrTimeout) {
		t.Fatalf("a second NATS message: %v, %v", m, err)
	}
	if total, ids := streamIDs(t, e.js); total != 1 || ids[msgID] != 1 {
		t.Fatalf("stream holds %d messages %v, want one %s", total, ids, msgID)
	}

	for name, rv := range map[string]*receiver{"signed": signed, "opened-only": openedOnly} {
		got := rv.got()
		if len(got) != 1 {
			t.Fatalf("%s got %d requests, want 1", name, len(got))
		}
		we := decodeEnvelope(t, got[0].body)
		if we.DeliveryID != got[0].deliveryID || we.Topic != gridwarn.TopicTicketOpened || we.Subject != "gridwarn.notify.town.320924100" ||
			we.CreatedAt.IsZero() || got[0].topic != gridwarn.TopicTicketOpened {
			t.Errorf("%s: envelope %+v, headers %+v", name, we, got[0])
		}
		var p gridwarn.TicketPayload
		if err := json.Unmarshal(we.Payload, &p); err != nil || p.TicketID != 2 {
			t.Errorf("%s: payload %s", name, we.Payload)
		}
	}
	if n := len(breachOnly.got()); n != 0 {
		t.Errorf("breach-only got %d requests for ticket.opened", n)
	}

	// The signature verifies, a tampered body does not, nor a stale request.
	req := signed.got()[0]
	if req.timestamp != strconv.FormatInt(now.Unix(), 10) {
		t.Errorf("timestamp = %q, want the injected clock's", req.timestamp)
	}
	if err := Verify(secret, req.timestamp, req.body, req.signature, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
	tampered := []byte(strings.Replace(string(req.body), `"ticket_id":2`, `"ticket_id":3`, 1))
	if string(tampered) == string(req.body) {
		t.Fatalf("tampering changed nothing in %s", req.body)
	}
	if err := Verify(secret, req.timestamp, tampered, req.signature, now, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(tampered) = %v, want ErrBadSignature", err)
	}
	if err := Verify(secret, req.timestamp, req.body, req.signature, now.Add(time.Hour), 5*time.Minute); !errors.Is(err, ErrStaleTimestamp) {
		t.Errorf("Verify(an hour later) = %v, want ErrStaleTimestamp", err)
	}
	if openedOnly.got()[0].signature != "" {
		t.Error("a webhook without a secret sent a signature")
	}

	log, err := e.db.DeliveryLog(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 {
		t.Fatalf("delivery log = %+v, want 2 deliveries", log)
	}
	for _, d := range log {
		if d.Status != gridwarn.DeliveryDelivered || d.Attempts != 1 || d.LastStatusCode != 200 || d.LastError != "" || d.DeliveredAt == nil {
			t.Errorf("delivery %+v", d)
		}
	}
	if log[0].Webhook != "opened-only" || log[1].Webhook != "signed" ||
		log[0].DeliveryID != openedOnly.got()[0].deliveryID || log[1].DeliveryID != signed.got()[0].deliveryID {
		t.Errorf("delivery log %+v does not match what the receivers got", log)
	}
}

func TestWebhookRetriedUntilTheReceiverComesBack(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	ctx := t.Context()

	// flaky answers 503 twice, then drops the connection, then accepts.
	flaky := newReceiver(t, func(attempt int) int {
		switch attempt {
		case 1, 2:
			return http.StatusServiceUnavailable
		case 3:
			return 0
		default:
			return http.StatusOK
		}
	})
	// Nothing listens on late's address until later.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lateAddr := ln.Addr().String()
	ln.Close()
	const robotKey = "KEY-must-not-leak"
	const secret = "s3cret"
	r := mustRelay(t, e, []Webhook{
		{Name: "flaky", URL: flaky.URL + "/hook", Secret: secret},
		{Name: "late", URL: "http://" + lateAddr + "/hook?key=" + robotKey, Secret: secret},
	}, Options{})

	const n = 5
	for i := range n {
		mustEnqueue(t, e.db, opened(int64(i+1)))
	}

	// First round: published, first attempts failed and recorded.
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	rows := mustOutbox(t, e.db)
	for _, o := range rows {
		log, err := e.db.DeliveryLog(ctx, o.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 2 {
			t.Fatalf("outbox %d: %d deliveries, want 2", o.id, len(log))
		}
		fl, lt := log[0], log[1]
		if fl.Status != gridwarn.DeliveryPending || fl.Attempts != 1 || fl.LastStatusCode != 503 || !strings.Contains(fl.LastError, "HTTP 503") {
			t.Errorf("flaky after one round: %+v", fl)
		}
		if lt.Status != gridwarn.DeliveryPending || lt.Attempts != 1 || lt.LastStatusCode != 0 || !strings.Contains(lt.LastError, "connection refused") {
			t.Errorf("late after one round: %+v", lt)
		}
		if strings.Contains(lt.LastError, robotKey) {
			t.Errorf("last_error leaks the URL's key: %s", lt.LastError)
		}
	}

	// late stays down for a few more rounds, then comes up on its address.
	for range 3 {
		e.clock.pastBackoff()
		if _, err := r.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ln, err = net.Listen("tcp", lateAddr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", lateAddr, err)
	}
	late := &receiver{attempts: map[string]int{}}
	late.Server = httptest.NewUnstartedServer(late)
	late.Listener.Close()
	late.Listener = ln
	late.Start()
	t.Cleanup(late.Close)

	runUntil(t, r, e.clock, allDone(t, e.db))

	for name, rv := range map[string]*receiver{"flaky": flaky, "late": late} {
		ok := rv.delivered()
		if len(ok) != n {
			t.Errorf("%s accepted %d deliveries, want %d", name, len(ok), n)
		}
		// One delivery id per notification, the same on every retry.
		idsByTicket := map[int64]map[string]bool{}
		for _, req := range rv.got() {
			env := decodeEnvelope(t, req.body)
			if env.DeliveryID != req.deliveryID {
				t.Errorf("%s: body delivery id %s, header %s", name, env.DeliveryID, req.deliveryID)
			}
			var p gridwarn.TicketPayload
			if err := json.Unmarshal(env.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if idsByTicket[p.TicketID] == nil {
				idsByTicket[p.TicketID] = map[string]bool{}
			}
			idsByTicket[p.TicketID][req.deliveryID] = true
			if err := Verify(secret, req.timestamp, req.body, req.signature, e.clock.Now(), time.Hour); err != nil {
				t.Errorf("%s: Verify: %v", name, err)
			}
			if req.query.Get("key") != "" && name == "flaky" {
				t.Errorf("flaky got a key")
			}
		}
		if len(idsByTicket) != n {
			t.Errorf("%s got %d notifications, want %d", name, len(idsByTicket), n)
		}
		for ticket, ids := range idsByTicket {
			if len(ids) != 1 {
				t.Errorf("%s: ticket %d came with %d delivery ids, want 1", name, ticket, len(ids))
			}
		}
	}
	if got := len(flaky.got()); got != 4*n {
		t.Errorf("flaky got %d requests, want %d (4 attempts each)", got, 4*n)
	}
	for _, req := range late.got() {
		if req.query.Get("key") != robotKey {
			t.Errorf("late got query %q, want the key kept", req.rawQuery)
		}
	}
	for _, o := range rows {
		log, err := e.db.DeliveryLog(ctx, o.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range log {
			if d.Status != gridwarn.DeliveryDelivered || d.LastStatusCode != 200 || d.LastError != "" {
				t.Errorf("final delivery %+v", d)
			}
			if d.Webhook == "flaky" && d.Attempts != 4 {
				t.Errorf("flaky attempts = %d, want 4", d.Attempts)
			}
			if d.Webhook == "late" && d.Attempts < 5 {
				t.Errorf("late attempts = %d, want at least 5", d.Attempts)
			}
		}
	}
}

func TestWebhookFailsAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	down := newReceiver(t, func(int) int { return http.StatusInternalServerError })
	r := mustRelay(t, e, []Webhook{{Name: "down", URL: down.URL}}, Options{MaxAttempts: 3})
	mustEnqueue(t, e.db, opened(1))

	runUntil(t, r, e.clock, allDone(t, e.db))
	for range 3 {
		e.clock.pastBackoff()
		if n, err := r.RunOnce(t.Context()); err != nil || n != 0 {
			t.Fatalf("RunOnce after failure = %d, %v", n, err)
		}
	}
	if got := len(down.got()); got != 3 {
		t.Errorf("receiver got %d requests, want 3", got)
	}
	log, err := e.db.DeliveryLog(t.Context(), mustOutbox(t, e.db)[0].id)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Status != gridwarn.DeliveryFailed || log[0].Attempts != 3 || log[0].LastStatusCode != 500 || log[0].DeliveredAt != nil {
		t.Fatalf("delivery log = %+v, want one failed after 3 attempts", log)
	}
	if b := mustStats(t, e.db); b.FailedDeliveries != 1 || b.PendingDeliveries != 0 {
		t.Errorf("stats = %+v", b)
	}
}

func TestTwoRelaysDeliverEachNotificationOnce(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	a := newReceiver(t, nil)
	b := newReceiver(t, nil)
	hooks := []Webhook{{Name: "a", URL: a.URL, Secret: "x"}, {Name: "b", URL: b.URL}}
	opts := Options{BatchSize: 7, Concurrency: 3}
	r1 := mustRelay(t, e, hooks, opts)
	r2 := mustRelay(t, e, hooks, opts)
	r1.Start()
	r1.Start() // no-op
	r2.Start()

	// Writers commit while both relays run.
	const total = 200
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range total / 4 / 5 {
				var ns []gridwarn.Notification
				for j := range 5 {
					ns = append(ns, opened(int64(w*1000+i*5+j)))
				}
				if err := e.db.Enqueue(t.Context(), ns...); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	eventually(t, "all delivered", func() bool {
		s := mustStats(t, e.db)
		return s.Unpublished == 0 && s.PendingDeliveries == 0 && len(mustOutbox(t, e.db)) == total
	})
	stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range []*Relay{r1, r2} {
		if err := r.Stop(stop); err != nil {
			t.Fatal(err)
		}
		if err := r.Stop(stop); err != nil { // idempotent
			t.Fatal(err)
		}
	}

	msgs, ids := streamIDs(t, e.js)
	if msgs != total || len(ids) != total {
		t.Fatalf("stream holds %d messages with %d distinct ids, want %d", msgs, len(ids), total)
	}
	for id, n := range ids {
		if n != 1 || !strings.HasPrefix(id, MsgIDPrefix) {
			t.Errorf("Nats-Msg-Id %q occurs %d times", id, n)
		}
	}
	for name, rv := range map[string]*receiver{"a": a, "b": b} {
		got := rv.got()
		tickets, deliveries := map[int64]bool{}, map[string]bool{}
		for _, req := range got {
			env := decodeEnvelope(t, req.body)
			var p gridwarn.TicketPayload
			if err := json.Unmarshal(env.Payload, &p); err != nil {
				t.Fatal(err)
			}
			tickets[p.TicketID] = true
			deliveries[req.deliveryID] = true
		}
		if len(got) != total || len(tickets) != total || len(deliveries) != total {
			t.Errorf("%s got %d requests for %d tickets with %d delivery ids, want %d each", name, len(got), len(tickets), len(deliveries), total)
		}
	}
}

// A relay that publishes and dies before its commit publishes again later
// with the same Nats-Msg-Id: the stream drops the repeat.
func TestRepublishAfterCrashIsDropped(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	mustEnqueue(t, e.db, opened(1))
	id := mustOutbox(t, e.db)[0].id
	msgID := fmt.Sprintf("outbox-%d", id)
	// What the dead relay managed to do.
	if _, err := e.js.Publish(t.Context(), gridwarn.NotifySubject("town", "320924100"), []byte(`{}`), jetstream.WithMsgID(msgID)); err != nil {
		t.Fatal(err)
	}
	r := mustRelay(t, e, nil, Options{})
	runUntil(t, r, e.clock, allDone(t, e.db))
	if total, ids := streamIDs(t, e.js); total != 1 || ids[msgID] != 1 {
		t.Fatalf("stream holds %d messages %v, want one %s", total, ids, msgID)
	}
}

func TestNATSDownThenBack(t *testing.T) {
	t.Parallel()
	db, _ := testutil.MustOpenDB(t)
	ctx := t.Context()
	c := &clock{at: time.Now().Add(time.Hour)} // fixed, later than the rows

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	storeDir := t.TempDir()
	var srv *server.Server
	start := func() {
		t.Helper()
		s, err := natsbus.StartEmbedded(natsbus.ServerOptions{Host: "127.0.0.1", Port: port, StoreDir: storeDir, MaxStore: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
		srv = s
	}
	start()
	nc, err := natsbus.Connect(natsbus.ConnectOptions{URL: srv.ClientURL(), Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	rv := newReceiver(t, nil)
	r, err := New(db, js, []Webhook{{Name: "hook", URL: rv.URL}}, Options{Backoff: testBackoff, PublishTimeout: 300 * time.Millisecond, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustEnqueue(t, db, opened(1), opened(2), opened(3))

	srv.Shutdown()
	srv.WaitForShutdown()
	for round := 1; round <= 2; round++ {
		n, err := r.RunOnce(ctx)
		if err != nil || n != 3 {
			t.Fatalf("round %d with NATS down: RunOnce = %d, %v; want 3, nil", round, n, err)
		}
		for i, o := range mustOutbox(t, db) {
			if o.published || o.attempts != round || o.lastError == "" {
				t.Fatalf("round %d: outbox row %+v, want pending with %d attempts and an error", round, o, round)
			}
			if i > 0 && !strings.Contains(o.lastError, "NATS unavailable") {
				t.Errorf("row %d: last_error %q, want the rest of the batch not tried", o.id, o.lastError)
			}
		}
		if b := mustStats(t, db); b.PendingDeliveries != 0 {
			t.Fatalf("deliveries created for unpublished notifications: %+v", b)
		}
		// Not due again before the backoff.
		if n, err := r.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("round %d, before the backoff: RunOnce = %d, %v; want 0, nil", round, n, err)
		}
		c.Advance(testBackoff[round-1])
	}

	start()
	eventually(t, "the client to reconnect", nc.IsConnected)
	runUntil(t, r, c, allDone(t, db))
	if total, ids := streamIDs(t, js); total != 3 || len(ids) != 3 {
		t.Fatalf("stream holds %d messages %v, want 3 distinct", total, ids)
	}
	for _, o := range mustOutbox(t, db) {
		if !o.published || o.lastError != "" || o.attempts != 3 {
			t.Errorf("outbox row %+v, want published on the 3rd attempt", o)
		}
	}
	if got := len(rv.delivered()); got != 3 {
		t.Errorf("webhook got %d deliveries, want 3", got)
	}
}

func TestPruneKeepsWhatIsNotDone(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	ctx := t.Context()
	rv := newReceiver(t, nil)
	r := mustRelay(t, e, []Webhook{{Name: "hook", URL: rv.URL}}, Options{})
	mustEnqueue(t, e.db, opened(1), opened(2), opened(3))
	runUntil(t, r, e.clock, allDone(t, e.db))
	rows := mustOutbox(t, e.db)
	// The 2nd is still being delivered; the 4th is not published yet.
	if _, err := e.db.Pool().Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() + interval '1 hour' WHERE outbox_id = $1`, rows[1].id); err != nil {
		t.Fatal(err)
	}
	mustEnqueue(t, e.db, opened(4))

	// Published at the relay's clock.
	if n, err := e.db.PruneOutbox(ctx, e.clock.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("PruneOutbox(an hour ago) = %d, %v; want 0", n, err)
	}
	n, err := e.db.PruneOutbox(ctx, e.clock.Now().Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	left := mustOutbox(t, e.db)
	if len(left) != 2 || left[0].id != rows[1].id || left[1].published {
		t.Fatalf("left %+v, want the 2nd and the unpublished 4th", left)
	}
	if log, err := e.db.DeliveryLog(ctx, rows[0].id); err != nil || len(log) != 0 {
		t.Errorf("delivery log of a pruned notification = %v, %v", log, err)
	}
	if log, err := e.db.DeliveryLog(ctx, rows[1].id); err != nil || len(log) != 1 {
		t.Errorf("delivery log of the kept notification = %v, %v", log, err)
	}
}

// Stop waits for the round in progress, up to its context; then it aborts
// the request in flight, whose delivery is released for a retry without
// counting the attempt.
func TestStopAbortsAHangingRequest(t *testing.T) {
	t.Parallel()
	e := mustEnv(t)
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	hang := newReceiver(t, func(int) int {
		<-release
		return http.StatusOK
	})
	r := mustRelay(t, e, []Webhook{{Name: "hang", URL: hang.URL, Timeout: time.Minute}}, Options{})
	mustEnqueue(t, e.db, opened(1))
	r.Start()
	eventually(t, "the request", func() bool {
		hang.mu.Lock()
		defer hang.mu.Unlock()
		return len(hang.attempts) == 1
	})

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := r.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want the deadline", err)
	}
	id := mustOutbox(t, e.db)[0].id
	eventually(t, "the lease to be released", func() bool {
		log, err := e.db.DeliveryLog(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return len(log) == 1 && log[0].Status == gridwarn.DeliveryPending && log[0].Attempts == 0 && !log[0].NextAttemptAt.After(time.Now())
	})
	unblock()
	if err := r.Stop(t.Context()); err != nil {
		t.Errorf("second Stop = %v", err)
	}
}
