package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/contract"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// readFeed reads the whole feed from the start, a few events a pull, as a
// polling platform would.
func readFeed(t *testing.T, db interface {
	Feed(context.Context, gridwarn.Visibility, int64, int) (gridwarn.FeedPage, error)
}, v gridwarn.Visibility, after int64) ([]gridwarn.FeedEvent, int64) {
	t.Helper()
	var out []gridwarn.FeedEvent
	for {
		p, err := db.Feed(context.Background(), v, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) == 0 {
			return out, after
		}
		for _, e := range p.Events {
			if e.Position <= after {
				t.Fatalf("position %d after %d", e.Position, after)
			}
			after = e.Position
		}
		if p.NextAfter != after {
			t.Fatalf("next_after %d, want %d", p.NextAfter, after)
		}
		out = append(out, p.Events...)
	}
}

// readFeedN reads from after until it has served want events, or a minute
// has passed. The feed's horizon is the oldest transaction in flight on the
// whole server, so the other packages' tests running beside this one on the
// same PostgreSQL hold it back for a moment: a test that waits for changes
// to be served must wait, never assume.
func readFeedN(t *testing.T, db interface {
	Feed(context.Context, gridwarn.Visibility, int64, int) (gridwarn.FeedPage, error)
}, v gridwarn.Visibility, after int64, want int) ([]gridwarn.FeedEvent, int64) {
	t.Helper()
	var out []gridwarn.FeedEvent
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var more []gridwarn.FeedEvent
		more, after = readFeed(t, db, v, after)
		out = append(out, more...)
		if len(out) >= want || time.Now().After(deadline) {
			return out, after
		}
	}
}

// historyLines counts every line of the history.
func historyLines(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	n := 0
	for _, c := range historyCounts(t, conn) {
		n += int(c)
	}
	return n
}

// checkInOrderOnce fails unless evs hold each ticket's sequence 1, 2, 3…
// exactly once and in order, and returns the count per ticket.
func checkInOrderOnce(t *testing.T, evs []gridwarn.FeedEvent) map[int64]int64 {
	t.Helper()
	last := map[int64]int64{}
	ids := map[string]bool{}
	for _, e := range evs {
		d := e.Data
		if d.Sequence != last[d.TicketID]+1 {
			t.Fatalf("ticket %d: sequence %d after %d (event %s at position %d)", d.TicketID, d.Sequence, last[d.TicketID], e.ID, e.Position)
		}
		last[d.TicketID] = d.Sequence
		if ids[e.ID] {
			t.Fatalf("event %s twice", e.ID)
		}
		ids[e.ID] = true
		if e.ID != gridwarn.FeedEventID(d.TicketID, d.Sequence) {
			t.Fatalf("id %s for ticket %d sequence %d", e.ID, d.TicketID, d.Sequence)
		}
	}
	return last
}

// historyCounts is how many history lines each ticket has.
func historyCounts(t *testing.T, conn *pgx.Conn) map[int64]int64 {
	t.Helper()
	rows, _ := conn.Query(context.Background(), `SELECT ticket_id, count(*) FROM ticket_history GROUP BY ticket_id`)
	out := map[int64]int64{}
	var id, n int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustConn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// A consumer that pulls the feed from the start sees every change of every
// ticket once and in order — also when a later transaction commits before
// an earlier one (DECISIONS D3): a change that commits after a later one
// was read is still served, after it, never skipped; and a ticket's
// change whose transaction began first but committed second still comes
// after the change it waited for.
func TestFeedNeverSkipsAndKeepsTicketOrder(t *testing.T) {
	db, url := testutil.MustOpenDB(t)
	testutil.MustSeedDemoCounty(t, db)
	ctx := context.Background()
	var batch []gridwarn.Incoming
	for i := range 3 {
		batch = append(batch, incoming(fmt.Sprintf("feed-%d", i), testutil.CreditCode(i+1), "wage_arrears", 3, t0))
	}
	if _, err := db.ApplyBatch(ctx, batch, nil); err != nil {
		t.Fatal(err)
	}
	ts, err := db.ListTickets(ctx, all, gridwarn.TicketFilter{})
	if err != nil || len(ts) != 3 {
		t.Fatalf("tickets %v, %v", ts, err)
	}
	a, b, c := ts[0].ID, ts[1].ID, ts[2].ID
	seen, after := readFeedN(t, db, all, 0, historyLines(t, mustConn(t, url)))

	// Writers as the door writes: a history line in a transaction of
	// their own (the trigger numbers it).
	w1, w2, w3 := mustConn(t, url), mustConn(t, url), mustConn(t, url)
	begin := func(c *pgx.Conn) pgx.Tx {
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Take the transaction's id now, as a writer that wrote
		// something else first would have.
		if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	line := func(tx pgx.Tx, ticket int64, kind string) {
		if _, err := tx.Exec(ctx, `INSERT INTO ticket_history (ticket_id, actor, kind) VALUES ($1, 'system:test', $2)`, ticket, kind); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(tx pgx.Tx) {
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// 1. Two tickets: the earlier transaction commits last.
	t1 := begin(w1)
	line(t1, a, "note")
	t2 := begin(w2)
	line(t2, b, "note")
	commit(t2)
	more, after := readFeed(t, db, all, after)
	seen = append(seen, more...)
	if len(more) != 0 {
		t.Fatalf("while an earlier transaction is in flight the feed served %d changes: %+v", len(more), more)
	}
	commit(t1)
	more, after = readFeedN(t, db, all, after, 2)
	seen = append(seen, more...)
	if len(more) != 2 {
		t.Fatalf("after both committed the feed served %d changes, want 2", len(more))
	}

	// 2. One ticket: T2 takes its transaction id first, T3 (unrelated)
	// next, T1 last; T1 writes c's line and commits, T2 writes c's next
	// line and commits. T2's line is below the horizon, T1's is not (T3 is
	// in flight): the feed must hold T2's line until T1's is served.
	t2 = begin(w2)
	t3 := begin(w3)
	t1 = begin(w1)
	line(t1, c, "note")
	commit(t1)
	line(t2, c, "note") // waits for nothing: T1 committed
	commit(t2)
	more, after = readFeed(t, db, all, after)
	seen = append(seen, more...)
	for _, e := range more {
		if e.Data.TicketID == c {
			t.Fatalf("the feed served ticket %d's change %d while the one before it waits behind an open transaction", c, e.Data.Sequence)
		}
	}
	if err := t3.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	more, _ = readFeedN(t, db, all, after, 2)
	seen = append(seen, more...)
	if len(more) != 2 {
		t.Fatalf("after the open transaction ended the feed served %d changes, want 2", len(more))
	}

	got := checkInOrderOnce(t, seen)
	want := historyCounts(t, w1)
	for id, n := range want {
		if got[id] != n {
			t.Errorf("ticket %d: the feed served %d changes, the history has %d", id, got[id], n)
		}
	}
	for _, e := range seen {
		raw, _ := json.Marshal(e)
		if err := contract.ValidateTicketChange(raw); err != nil {
			t.Errorf("event %s breaks the schema: %v\n%s", e.ID, err, raw)
		}
	}
}

// Many writers at once: a consumer pulling all along sees every change
// once and in order.
func TestFeedUnderConcurrentWriters(t *testing.T) {
	db, url := testutil.MustOpenDB(t)
	testutil.MustSeedDemoCounty(t, db)
	ctx := context.Background()
	var batch []gridwarn.Incoming
	for i := range 4 {
		batch = append(batch, incoming(fmt.Sprintf("conc-%d", i), testutil.CreditCode(i+1), "wage_arrears", 3, t0))
	}
	if _, err := db.ApplyBatch(ctx, batch, nil); err != nil {
		t.Fatal(err)
	}
	ts, _ := db.ListTickets(ctx, all, gridwarn.TicketFilter{})
	done := make(chan error, 4)
	for w := range 4 {
		go func() {
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				done <- err
				return
			}
			defer c.Close(ctx)
			for i := range 50 {
				// Two tickets per transaction, in an order that varies.
				x, y := ts[(w+i)%len(ts)].ID, ts[(w+i+1)%len(ts)].ID
				if x > y {
					x, y = y, x
				}
				err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO ticket_history (ticket_id, actor, kind) VALUES ($1, 'system:test', 'note'), ($2, 'system:test', 'note')`, x, y)
					return err
				})
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	var seen []gridwarn.FeedEvent
	var after int64
	for finished := 0; finished < 4; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished++
		default:
		}
		var more []gridwarn.FeedEvent
		more, after = readFeed(t, db, all, after)
		seen = append(seen, more...)
	}
	c := mustConn(t, url)
	more, _ := readFeedN(t, db, all, after, historyLines(t, c)-len(seen))
	seen = append(seen, more...)
	got := checkInOrderOnce(t, seen)
	for id, n := range historyCounts(t, c) {
		if got[id] != n {
			t.Errorf("ticket %d: the feed served %d changes, the history has %d", id, got[id], n)
		}
	}
}

// No reporter's or caller's personal data leaves in the feed: the phone
// number and name in an event's summary, the reporter's id, a note, a
// contact's attendees and an outcome's words stay inside.
func TestFeedCarriesNoPersonalData(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	const phone, name = "13912345678", "张小明"
	e := w.ents[0]
	in := incoming("pii-1", e.CreditCode, "wage_arrears", 3, t0)
	in.Enterprise = e
	in.Event.Summary = "reported by " + name + ", call back on " + phone
	in.Event.Reporter = &gridwarn.Reporter{Kind: "grid_worker", ID: "gw-" + phone}
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
		t.Fatal(err)
	}
	ts, _ := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: e.CreditCode})
	id := ts[0].ID
	const med = "mediator-320924100-2"
	w.must(med, id, "claim", gridwarn.ActionBody{})
	w.must(med, id, "accept", gridwarn.ActionBody{})
	w.must(med, id, "contact", gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: "phone_call", HeldAt: t0,
		Attendees: []string{name + " " + phone}, Summary: name + " says the boss left; " + phone}})
	w.must(med, id, "note", gridwarn.ActionBody{Note: "call " + name + " at " + phone})
	w.must(med, id, "start", gridwarn.ActionBody{})
	w.must(med, id, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "settled_by_mediation"}, Note: name + " " + phone})

	evs, _ := readFeedN(t, w.db, all, 0, 7)
	if len(evs) < 7 {
		t.Fatalf("the feed served %d changes, want the ticket's whole history", len(evs))
	}
	checkInOrderOnce(t, evs)
	for _, ev := range evs {
		raw, _ := json.Marshal(ev)
		for _, secret := range []string{phone, name, "gw-", med, "boss"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("feed event %s holds %q: %s", ev.ID, secret, raw)
			}
		}
		if err := contract.ValidateTicketChange(raw); err != nil {
			t.Errorf("event %s breaks the schema: %v\n%s", ev.ID, err, raw)
		}
		if ev.Data.Enterprise.CreditCode != e.CreditCode || ev.Data.Enterprise.Name == "" || ev.Data.TownCode != e.TownCode {
			t.Errorf("event %s: enterprise %+v town %q, want %s of %s", ev.ID, ev.Data.Enterprise, ev.Data.TownCode, e.CreditCode, e.TownCode)
		}
	}
	if last := evs[len(evs)-1].Data; last.Change != "reply" || last.Status != gridwarn.StatusReplied {
		t.Errorf("last change = %+v, want the reply with status replied", last)
	}

	// A town's scope sees its town's changes only; a grid's scope is refused.
	if p, err := w.db.Feed(ctx, gridwarn.Visibility{CountyCode: gridwarn.CountyOf(testutil.TownB), TownCode: testutil.TownB}, 0, 100); err != nil || len(p.Events) != 0 {
		t.Errorf("town B's feed = %d events, %v; want none", len(p.Events), err)
	}
	if _, err := w.db.Feed(ctx, gridwarn.Visibility{CountyCode: "320924", GridCodes: []string{"x"}}, 0, 100); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("a grid scope's feed: %v, want forbidden", err)
	}
}

// The push side: a destination is delivered in order, and a failure keeps
// its position until a later attempt succeeds.
func TestDeliverFeedKeepsPositionOnFailure(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	w.open(2, 3)
	// Every line positioned before the first attempt (readFeedN waits for
	// the server-wide horizon), so the failing attempt has one to hand over.
	if lines := scalar[int64](t, w.db, `SELECT count(*) FROM ticket_history`); lines == 0 {
		t.Fatal("no history lines")
	} else if served, _ := readFeedN(t, w.db, gridwarn.Visibility{All: true}, 0, int(lines)); len(served) != int(lines) {
		t.Fatalf("the feed serves %d of %d lines after a minute", len(served), lines)
	}
	now := time.Now()
	backoff := func(int) time.Duration { return time.Minute }
	var got []gridwarn.FeedEvent
	n, err := w.db.DeliverFeed(ctx, "hook", now, 1000, backoff, func(_ context.Context, evs []gridwarn.FeedEvent) (int, error) {
		got = append(got, evs[0])
		return 1, fmt.Errorf("the receiver answered 503")
	})
	if n != 1 || err == nil {
		t.Fatalf("delivered %d, %v; want 1 and the error", n, err)
	}
	// Not due yet: nothing is handed over.
	n, _ = w.db.DeliverFeed(ctx, "hook", now, 1000, backoff, func(context.Context, []gridwarn.FeedEvent) (int, error) {
		t.Fatal("handed over before the next attempt is due")
		return 0, nil
	})
	if n != 0 {
		t.Fatalf("delivered %d before due", n)
	}
	n, err = w.db.DeliverFeed(ctx, "hook", now.Add(2*time.Minute), 1000, backoff, func(_ context.Context, evs []gridwarn.FeedEvent) (int, error) {
		got = append(got, evs...)
		return len(evs), nil
	})
	if err != nil || n == 0 {
		t.Fatalf("delivered %d, %v", n, err)
	}
	checkInOrderOnce(t, got)
	all, _ := readFeedN(t, w.db, gridwarn.Visibility{All: true}, 0, len(got))
	if len(got) != len(all) {
		t.Errorf("delivered %d events, the feed holds %d", len(got), len(all))
	}
}

// mustNumberedHistory fails unless every history line carries its
// transaction's id and its ticket's sequence 1, 2, 3… in the order the
// lines were written, each ticket's row keeps its last sequence, and each
// ticket's last line carries the state the ticket has now — whoever wrote
// the lines: the engine's batch (which numbers its own, migration 00038)
// or the door and the history's trigger.
func mustNumberedHistory(t *testing.T, db *postgres.DB) {
	t.Helper()
	checks := []struct{ what, q string }{
		{"lines without a sequence or a transaction", `SELECT count(*) FROM ticket_history WHERE seq IS NULL OR xact IS NULL`},
		{"lines out of sequence", `SELECT count(*) FROM (SELECT seq, row_number() OVER (PARTITION BY ticket_id ORDER BY id) AS n FROM ticket_history) h
WHERE seq <> n`},
		{"tickets whose history_seq is not their last line's", `SELECT count(*) FROM tickets t
WHERE t.history_seq <> (SELECT count(*) FROM ticket_history h WHERE h.ticket_id = t.id)`},
		{"tickets whose last line's state is not theirs", `SELECT count(*) FROM tickets t
JOIN LATERAL (SELECT h.status, h.level, h.tier FROM ticket_history h WHERE h.ticket_id = t.id ORDER BY h.seq DESC LIMIT 1) l ON true
WHERE (l.status, l.level, l.tier) IS DISTINCT FROM (t.status, t.level, t.tier)`},
	}
	for _, c := range checks {
		if n := scalar[int64](t, db, c.q); n != 0 {
			t.Errorf("%s: %d", c.what, n)
		}
	}
	// The dispatch writes next_due_at itself (the clocks' trigger then
	// has nothing to write): it must still be the earliest running clock.
	if n := scalar[int64](t, db, `SELECT count(*) FROM tickets t
WHERE t.next_due_at IS DISTINCT FROM (SELECT min(c.due_at) FROM ticket_clocks c WHERE c.ticket_id = t.id AND c.stopped_at IS NULL)`); n != 0 {
		t.Errorf("tickets whose next_due_at is not their earliest running clock's: %d", n)
	}
}

// The engine's batch numbers its own lines (no statement per line, none
// per batch): opened and dispatched tickets, signals joining them, a level
// raised and an escalation, between lines the trigger numbers (a door's),
// keep every ticket's sequence dense and in order, and the feed serves
// them once and in order.
func TestEngineNumbersItsHistoryLines(t *testing.T) {
	w := newWorkbench(t)
	ctx := context.Background()
	apply := func(items ...gridwarn.Incoming) {
		t.Helper()
		for i := range items {
			for _, e := range w.ents {
				if e.CreditCode == items[i].Event.Enterprise {
					items[i].Enterprise = e
				}
			}
		}
		if _, err := w.db.ApplyBatch(ctx, items, nil); err != nil {
			t.Fatal(err)
		}
	}
	a, b := w.ents[0].CreditCode, w.ents[1].CreditCode
	apply(incoming("num-1", a, "wage_arrears", 3, t0), incoming("num-2", a, "wage_arrears", 4, t0), incoming("num-3", b, "layoff", 3, t0))
	mustNumberedHistory(t, w.db)
	ts, _ := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: a})
	w.must("mediator-320924100-1", ts[0].ID, "claim", gridwarn.ActionBody{}) // the door: the trigger numbers it
	// A level raised (orange, still the town's) and an escalation to the
	// county (red) in one batch, with a new ticket beside them.
	apply(incoming("num-4", a, "wage_arrears", 40, t0), incoming("num-5", b, "layoff", 150, t0), incoming("num-6", b, "wage_arrears", 3, t0))
	mustNumberedHistory(t, w.db)
	w.must("mediator-320924100-1", ts[0].ID, "note", gridwarn.ActionBody{Note: "called the owner"})
	apply(incoming("num-7", a, "wage_arrears", 3, t0))
	mustNumberedHistory(t, w.db)

	evs, _ := readFeedN(t, w.db, all, 0, int(scalar[int64](t, w.db, "SELECT count(*) FROM ticket_history")))
	got := checkInOrderOnce(t, evs)
	rows, _ := w.db.Pool().Query(ctx, `SELECT ticket_id, count(*) FROM ticket_history GROUP BY ticket_id`)
	var id, n int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		if got[id] != n {
			t.Errorf("ticket %d: the feed served %d changes, the history has %d", id, got[id], n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
