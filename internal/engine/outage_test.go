package engine_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/engine"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/rules"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// lines is a slog handler that keeps every record at Info or above.
type lines struct {
	mu   sync.Mutex
	recs []string
}

func (l *lines) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelInfo }
func (l *lines) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l *lines) WithGroup(string) slog.Handler                 { return l }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	s := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
	l.mu.Lock()
	l.recs = append(l.recs, s)
	l.mu.Unlock()
	return nil
}

// since returns the records after the first n.
func (l *lines) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.recs[n:]...)
}

func (l *lines) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

// waitFor polls cond until it holds; the deadline only guards against a
// hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The drill of issue 12: the database goes away for longer than
// max_deliver × ack_wait while events arrive, so that every one of them runs
// out of deliveries and waits as an advisory, retried again and again by
// the rescuer; then it comes back through a start-up window in which it
// refuses connections (57P03). Every event is stored exactly once, none is
// set aside, and the outage costs a few log lines, not one per message per
// retry.
func TestRescuerWaitsOutAnOutage(t *testing.T) {
	db, direct := testutil.MustOpenDB(t)
	proxy, viaProxy := testutil.MustProxyDatabase(t, direct)
	ctx := context.Background()
	appDB, err := postgres.Open(ctx, postgres.Options{URL: viaProxy, MaxConns: 4, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(appDB.Close)
	copts := natsbus.ConsumerOptions{AckWait: time.Second, MaxDeliver: 3}
	h := newHarness(t, copts, db)
	log := &lines{}
	h.start(appDB, engine.Options{BatchSize: 10, Logger: slog.New(log),
		NakDelays: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}})
	advStream, err := h.js.Stream(ctx, natsbus.AdvisoryStreamName)
	if err != nil {
		t.Fatal(err)
	}

	h.publishEvent(event("before", entA, "wage_arrears"))
	h.drained(time.Minute)
	before := log.len()

	proxy.Cut()
	down := time.Now()
	const n = 20
	for i := range n {
		h.publishEvent(event(fmt.Sprintf("down-%02d", i), []string{entA, entB}[i%2], "wage_arrears"))
	}
	// Every event runs out of deliveries and becomes an advisory...
	waitFor(t, "every event to run out of deliveries", func() bool {
		si, err := advStream.Info(ctx)
		return err == nil && si.State.Msgs >= n
	})
	// ...which the rescuer tries far more often than it would set one
	// aside for, if it counted attempts on a database that is down...
	waitFor(t, "the rescuer to retry the advisories", func() bool {
		ci, err := h.adv.Info(ctx)
		return err == nil && ci.Delivered.Consumer >= uint64(n*(engine.RescueAttempts+1))
	})
	// ...for longer than max_deliver × ack_wait.
	waitFor(t, "max_deliver × ack_wait", func() bool {
		return time.Since(down) > time.Duration(copts.MaxDeliver)*copts.AckWait
	})
	if got := h.count("SELECT count(*) FROM events"); got != 1 {
		t.Fatalf("events = %d while the database was away from the engine, want 1", got)
	}

	// PostgreSQL starts up: connections are refused with 57P03 for a while.
	proxy.Answer(testutil.PostgresStartingUp)
	waitFor(t, "connections refused in the start-up window", func() bool { return proxy.Answered() >= 10 })
	proxy.Restore()

	waitFor(t, "every event stored", func() bool { return h.count("SELECT count(*) FROM events") == n+1 })
	waitFor(t, "the advisories settled", func() bool {
		ci, err := h.adv.Info(ctx)
		return err == nil && ci.NumPending == 0 && ci.NumAckPending == 0
	})
	h.storedOnce(t, n+1)

	recs := log.since(before)
	count := func(prefix string) int {
		k := 0
		for _, r := range recs {
			if strings.Contains(r, prefix) {
				k++
			}
		}
		return k
	}
	if count("database unavailable") != 1 || count("database back, resumed") != 1 {
		t.Errorf("want one line when the outage begins and one when it ends")
	}
	// The two state changes and the rescuer's report(s) of what it stored;
	// nothing per message or per retry.
	if len(recs) > 6 {
		t.Errorf("the outage cost %d log lines, want at most 6", len(recs))
	}
	t.Logf("log lines during the outage:\n%s", strings.Join(recs, "\n"))
}

// recorder is the real rules, remembering the time each decision was made
// at.
type recorder struct {
	gridwarn.Decider
	mu  sync.Mutex
	now []time.Time
}

func (r *recorder) Decide(in gridwarn.DecisionInput) gridwarn.Decision {
	r.mu.Lock()
	r.now = append(r.now, in.Now)
	r.mu.Unlock()
	return r.Decider.Decide(in)
}

// The engine runs on its injected clock: the rules decide at its time, and
// the pause after a failure ends when the clock has moved on, not after
// the real time it names.
func TestEngineRunsOnItsClock(t *testing.T) {
	h := newHarness(t, natsbus.ConsumerOptions{}, nil)
	var clock atomic.Int64
	clock.Store(t0.Add(time.Hour).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	store := &flaky{EventStore: h.db}
	store.left.Store(1)
	dec := &recorder{Decider: rules.Default()}
	e := engine.New(h.cons, store, dec, engine.Options{Now: now, NakDelays: []time.Duration{time.Hour}})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop(context.Background()) })

	h.publishEvent(event("first", entA, "wage_arrears")) // fails: redelivered in an hour, the engine pauses for one
	waitFor(t, "the failed batch", func() bool { return store.left.Load() <= 0 })
	h.publishEvent(event("second", entB, "wage_arrears"))
	clock.Add(int64(time.Hour)) // the hour passes on the engine's clock
	waitFor(t, "the second event", func() bool { return h.count("SELECT count(*) FROM events WHERE id = 'second'") == 1 })

	dec.mu.Lock()
	defer dec.mu.Unlock()
	if len(dec.now) == 0 || !dec.now[len(dec.now)-1].Equal(t0.Add(2*time.Hour)) {
		t.Errorf("decisions made at %v, want the engine's clock %v", dec.now, t0.Add(2*time.Hour))
	}
}

// reads fails the engine's reads (the registry lookup) with err while
// failing is set; writes always work. With an unreachable error it is the
// moment a database comes back, caught on every attempt: the read of one
// attempt fails, the write right after it succeeds.
type reads struct {
	gridwarn.EventStore
	err     error
	failing atomic.Bool
	failed  atomic.Int64
}

func (r *reads) EnterprisesByCode(ctx context.Context, codes []string) (map[string]gridwarn.Enterprise, error) {
	if r.failing.Load() {
		r.failed.Add(1)
		return nil, r.err
	}
	return r.EventStore.EnterprisesByCode(ctx, codes)
}

// The rescuer counts only the attempts that reached a working database: a
// message retried any number of times against a database that was not
// serving is stored once it serves, while one that a working database
// keeps refusing is set aside after RescueAttempts.
func TestRescuerCountsOnlyAttemptsThatReachedTheDatabase(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		dead bool
	}{
		{"unreachable", &gridwarn.Error{Code: gridwarn.EUNAVAILABLE, Message: "database unavailable",
			Err: fmt.Errorf("enterprises: %w: the database system is starting up (SQLSTATE 57P03)", gridwarn.ErrUnreachable)}, false},
		{"refused by a working database", fmt.Errorf("enterprises: column e.town does not exist (SQLSTATE 42703)"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, natsbus.ConsumerOptions{MaxDeliver: 2}, nil)
			store := &reads{EventStore: h.db, err: c.err}
			store.failing.Store(true)
			h.start(store, engine.Options{NakDelays: []time.Duration{10 * time.Millisecond}})
			h.publishEvent(event("r-1", entA, "wage_arrears"))
			if c.dead {
				waitFor(t, "the dead letter", func() bool { return h.count("SELECT count(*) FROM dead_letters") == 1 })
				if got := store.failed.Load(); got != int64(2+engine.RescueAttempts) {
					t.Errorf("attempts = %d, want the 2 deliveries and %d from the advisory", got, engine.RescueAttempts)
				}
				return
			}
			waitFor(t, "many more attempts than the rescuer would count", func() bool {
				return store.failed.Load() > int64(3*engine.RescueAttempts) ||
					h.count("SELECT count(*) FROM dead_letters") > 0
			})
			store.failing.Store(false)
			waitFor(t, "the event stored", func() bool { return h.count("SELECT count(*) FROM events WHERE id = 'r-1'") == 1 })
			waitFor(t, "the advisory settled", func() bool {
				ci, err := h.adv.Info(context.Background())
				return err == nil && ci.NumPending == 0 && ci.NumAckPending == 0
			})
			if n := h.count("SELECT count(*) FROM dead_letters"); n != 0 {
				t.Errorf("dead letters = %d, want 0", n)
			}
		})
	}
}
