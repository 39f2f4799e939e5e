package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// MustOpenDB opens a fresh, migrated database on the test PostgreSQL.
func MustOpenDB(tb testing.TB) *postgres.DB {
	db, _ := testutil.MustOpenDB(tb)
	return db
}

var entA, entB = testutil.CreditCode(1), testutil.CreditCode(2)

var all = gridwarn.Visibility{All: true}

var t0 = time.Date(2026, 11, 16, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func incoming(id, ent string, cat gridwarn.Category, workers int, at time.Time) gridwarn.Incoming {
	e := gridwarn.Event{ID: id, Enterprise: ent, Category: cat, OccurredAt: at, WorkersInvolved: &workers}
	return gridwarn.Incoming{Event: e, Decision: decide(workers), Subject: e.Subject(), StreamSeq: 1}
}

// decide is a stand-in for the rules: these tests are about storing
// decisions, not making them.
func decide(workers int) gridwarn.Decision {
	switch {
	case workers >= 100:
		return gridwarn.Decision{Level: gridwarn.LevelRed, Tier: gridwarn.TierCounty, RulesVersion: "test"}
	case workers >= 30:
		return gridwarn.Decision{Level: gridwarn.LevelOrange, Tier: gridwarn.TierTown, RulesVersion: "test"}
	}
	return gridwarn.Decision{Level: gridwarn.LevelBlue, Tier: gridwarn.TierEnterprise, RulesVersion: "test"}
}

func TestApplyBatchGroupsByEnterpriseAndCategory(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	res, err := db.ApplyBatch(ctx, []gridwarn.Incoming{
		incoming("e1", entA, "wage_arrears", 3, t0),
		incoming("e2", entA, "wage_arrears", 35, t0.Add(time.Hour)), // orange: raises nothing yet, same batch
		incoming("e3", entA, "layoff", 1, t0),
		incoming("e4", entB, "wage_arrears", 1, t0),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 4 || res.TicketsOpened != 3 || res.Duplicates != 0 {
		t.Fatalf("result = %+v, want 4 stored, 3 tickets opened", res)
	}
	ts, err := db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: entA, Category: "wage_arrears"})
	if err != nil || len(ts) != 1 {
		t.Fatalf("tickets = %v, %v; want one wage_arrears ticket for A", ts, err)
	}
	tk := ts[0]
	if tk.EventCount != 2 || tk.Level != gridwarn.LevelOrange || tk.Tier != gridwarn.TierTown ||
		!tk.FirstEventAt.Equal(t0) || !tk.LastEventAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("ticket = %+v, want 2 events, orange, town, spanning the two events", tk)
	}

	// A later batch attaches to the open ticket and raises its level to red.
	if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{incoming("e5", entA, "wage_arrears", 150, t0.Add(2*time.Hour))}, nil); err != nil {
		t.Fatal(err)
	}
	d, err := db.Ticket(ctx, all, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Level != gridwarn.LevelRed || d.Tier != gridwarn.TierCounty || d.EventCount != 3 || len(d.Events) != 3 || d.Version != 4 || d.ClaimedBy != "" {
		t.Errorf("after a red event: %+v, want red, county, 3 events, version 4 (opened, dispatched, the batch, the escalation), no lease", d.Ticket)
	}
	var kinds []string
	for _, h := range d.History {
		kinds = append(kinds, fmt.Sprintf("%s:%s>%s", h.Kind, h.From, h.To))
	}
	want := []string{"opened:>orange", "event_attached:>blue", "event_attached:>orange", "dispatch:new>dispatched",
		"event_attached:>red", "level_raised:orange>red", "escalate:dispatched>dispatched"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("history = %v\nwant      %v", kinds, want)
	}
}

func TestApplyBatchRecordsEachEventOnce(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	batch := []gridwarn.Incoming{incoming("e1", entA, "wage_arrears", 3, t0), incoming("e1", entA, "wage_arrears", 3, t0)}
	res, err := db.ApplyBatch(ctx, batch, nil)
	if err != nil || res.Stored != 1 || res.Duplicates != 1 {
		t.Fatalf("first batch: %+v, %v; want 1 stored, 1 duplicate", res, err)
	}
	res, err = db.ApplyBatch(ctx, batch[:1], nil)
	if err != nil || res.Stored != 0 || res.Duplicates != 1 || res.TicketsOpened != 0 {
		t.Fatalf("redelivery: %+v, %v; want nothing stored", res, err)
	}
	ts, _ := db.ListTickets(ctx, all, gridwarn.TicketFilter{})
	if len(ts) != 1 || ts[0].EventCount != 1 {
		t.Fatalf("tickets = %+v, want one ticket with one event", ts)
	}
}

// Engines racing on the same keys never open two tickets for one
// enterprise and category, never record an event twice, and never deadlock
// for good.
func TestApplyBatchConcurrent(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	const workers, perWorker = 8, 40
	cats := []gridwarn.Category{"wage_arrears", "layoff", "contract"}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i += 4 {
				var batch []gridwarn.Incoming
				for j := i; j < i+4; j++ {
					// Every worker sends the same ids in a different order.
					n := (j*7 + w*3) % perWorker
					ent := []string{entA, entB}[n%2]
					batch = append(batch, incoming(fmt.Sprintf("ev-%d", n), ent, cats[n%3], n, t0))
				}
				for attempt := 0; ; attempt++ {
					_, err := db.ApplyBatch(ctx, batch, nil)
					if err == nil {
						break
					}
					if gridwarn.ErrorCode(err) != gridwarn.EUNAVAILABLE || attempt > 20 {
						errs <- err
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var events, tickets, open int
	pool := db.Pool()
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "SELECT count(*), coalesce(sum(event_count), 0) FROM tickets WHERE status <> 'closed'").Scan(&open, &tickets); err != nil {
		t.Fatal(err)
	}
	if events != perWorker || tickets != perWorker || open != 6 {
		t.Errorf("events = %d, events counted on tickets = %d, open tickets = %d; want %d, %d, 6", events, tickets, open, perWorker, perWorker)
	}
	mustNumberedHistory(t, db)
}

func TestHistoryIsAppendOnly(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{incoming("e1", entA, "wage_arrears", 3, t0)}, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"UPDATE ticket_history SET note = 'x'", "DELETE FROM ticket_history", "TRUNCATE ticket_history CASCADE"} {
		if _, err := db.Pool().Exec(ctx, q); err == nil {
			t.Errorf("%s succeeded; the history must be append-only", q)
		}
	}
}

func TestDeadLettersAreRecordedOncePerMessage(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	dl := gridwarn.DeadLetter{Stream: "GRIDWARN_EVENTS", StreamSeq: 7, Subject: "gridwarn.events.320924",
		Reason: gridwarn.ReasonMalformedJSON, Detail: "unexpected end of JSON input", Raw: []byte(`{"id":`), Deliveries: 1}
	for i := 0; i < 2; i++ {
		if _, err := db.ApplyBatch(ctx, nil, []gridwarn.DeadLetter{dl}); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := db.ListDeadLetters(ctx, all, gridwarn.DeadLetterFilter{})
	if err != nil || len(ds) != 1 || string(ds[0].Raw) != `{"id":` || ds[0].Reason != gridwarn.ReasonMalformedJSON {
		t.Fatalf("dead letters = %+v, %v; want the one, with its raw bytes", ds, err)
	}
}

func TestMigrateIsSafeConcurrently(t *testing.T) {
	url := testutil.MustCreateDatabase(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			db, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			_, errs[i] = db.Migrate(ctx)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// What a reporter saw of the owner is stored with the event and read back
// by the ticket detail and by a replay of the rules.
func TestOwnerStatusIsStored(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	in := incoming("owner-1", entA, "owner_absconded", 20, t0)
	in.Event.OwnerStatus = gridwarn.OwnerUnreachable
	if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
		t.Fatal(err)
	}
	ts, _ := db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: entA})
	d, err := db.Ticket(ctx, all, ts[0].ID)
	if err != nil || len(d.Events) != 1 || d.Events[0].OwnerStatus != gridwarn.OwnerUnreachable {
		t.Fatalf("ticket events = %+v, %v; want owner_status unreachable", d.Events, err)
	}
}
