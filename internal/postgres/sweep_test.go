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

// tenSeconds gives every tier one accept clock of 10 s, reminding at 8 s.
type tenSeconds struct{}

func (tenSeconds) CountyAbsorbs() bool { return false }

func (tenSeconds) Clocks(_ gridwarn.Tier, _ gridwarn.Level, start time.Time) []gridwarn.ClockPlan {
	return []gridwarn.ClockPlan{{Kind: gridwarn.ClockAccept, RemindAt: start.Add(8 * time.Second), DueAt: start.Add(10 * time.Second)}}
}

// mustOpenBlueTicket opens one blue enterprise-tier ticket through the
// batch writer, with tenSeconds clocks, and returns it as stored.
func mustOpenBlueTicket(t *testing.T) (*postgres.DB, *gridwarn.TicketDetail) {
	t.Helper()
	db := MustOpenDB(t)
	db.SetClockPlanner(tenSeconds{})
	ctx := context.Background()
	ent := testutil.CreditCode(1)
	testutil.MustSeedEnterprises(t, db, ent)
	ents, _ := db.EnterprisesByCode(ctx, []string{ent})
	in := incoming("e1", ent, "wage_arrears", 3, t0)
	in.Enterprise = ents[ent]
	if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
		t.Fatal(err)
	}
	ts, _ := db.ListTickets(ctx, all, gridwarn.TicketFilter{})
	d, err := db.Ticket(ctx, all, ts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return db, d
}

func TestUnacceptedTicketClimbsTheLadder(t *testing.T) {
	db, d := mustOpenBlueTicket(t)
	ctx := context.Background()
	id := d.ID
	start := d.Clocks[0].StartedAt

	// Walk time forward: reminder, breach (→ town), reminder, breach (→ county), reminder, breach (→ overdue).
	steps := []struct {
		at   time.Duration
		want string
	}{
		{7 * time.Second, "0/0/0"}, {8 * time.Second, "1/0/0"}, {10 * time.Second, "0/1/0"},
		{18 * time.Second, "1/0/0"}, {20 * time.Second, "0/1/0"},
		{28 * time.Second, "1/0/0"}, {30 * time.Second, "0/0/1"}, {40 * time.Second, "0/0/0"},
	}
	for _, s := range steps {
		res, err := db.Sweep(ctx, start.Add(s.at))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%d/%d/%d", res.Reminders, res.Escalations, res.Overdue); got != s.want {
			t.Errorf("sweep at +%s: reminders/escalations/overdue = %s, want %s", s.at, got, s.want)
		}
	}
	d, _ = db.Ticket(ctx, all, id)
	if d.Tier != gridwarn.TierCounty || d.OverdueAt == nil {
		t.Errorf("ticket = %+v, want overdue at the county", d.Ticket)
	}
	var steps2 []string
	for _, h := range d.History {
		if h.Actor == gridwarn.ActorSweeper {
			steps2 = append(steps2, fmt.Sprintf("%s:%s>%s", h.Kind, h.From, h.To))
		}
	}
	want := "[reminder:>enterprise breached:>enterprise escalate:dispatched>dispatched reminder:>town breached:>town escalate:dispatched>dispatched reminder:>county breached:>county overdue:>]"
	if fmt.Sprint(steps2) != want {
		t.Errorf("sweeper history = %v\nwant %s", steps2, want)
	}
	// Each tier kept its own clock.
	var tiers []string
	for _, c := range d.Clocks {
		tiers = append(tiers, fmt.Sprintf("%s:%t", c.Tier, c.BreachedAt != nil))
	}
	if fmt.Sprint(tiers) != "[enterprise:true town:true county:true]" {
		t.Errorf("clocks = %v", tiers)
	}
	var notes []string
	rows, _ := db.Pool().Query(ctx, "SELECT topic || '@' || subject FROM outbox ORDER BY id")
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		notes = append(notes, s)
	}
	if len(notes) != 9 || notes[0] != "ticket.opened@gridwarn.notify.enterprise."+testutil.TownA ||
		notes[len(notes)-1] != "ticket.breach@gridwarn.notify.county."+testutil.County {
		t.Errorf("outbox = %v", notes)
	}
}

// Two sweepers racing over 30 breached tickets escalate each exactly once.
func TestTwoSweepersEscalateOnce(t *testing.T) {
	db := MustOpenDB(t)
	db.SetClockPlanner(tenSeconds{})
	ctx := context.Background()
	var codes []string
	for i := range 30 {
		codes = append(codes, testutil.CreditCode(200+i))
	}
	testutil.MustSeedEnterprises(t, db, codes...)
	ents, _ := db.EnterprisesByCode(ctx, codes)
	var batch []gridwarn.Incoming
	for i, c := range codes {
		in := incoming(fmt.Sprintf("s-%d", i), c, "wage_arrears", 3, t0)
		in.Enterprise = ents[c]
		batch = append(batch, in)
	}
	if _, err := db.ApplyBatch(ctx, batch, nil); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute) // every enterprise clock is due
	var wg sync.WaitGroup
	var total [2]int
	for i := range 2 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := db.Sweep(ctx, later)
			if err != nil {
				t.Error(err)
			}
			total[i] = res.Escalations
		}(i)
	}
	wg.Wait()
	if total[0]+total[1] != 30 {
		t.Errorf("escalations = %d + %d, want 30 in all", total[0], total[1])
	}
	if n := count(t, db, "SELECT count(*) FROM ticket_history WHERE kind = 'escalate' AND actor = 'system:sweeper'"); n != 30 {
		t.Errorf("tier changes = %d, want 30", n)
	}
	if n := count(t, db, "SELECT count(*) FROM tickets WHERE tier = 'town'"); n != 30 {
		t.Errorf("tickets at the town = %d, want 30", n)
	}
}

// A sweeper that was down catches up: every missed breach once, in
// deadline order.
func TestSweeperCatchesUpInOrder(t *testing.T) {
	db := MustOpenDB(t)
	db.SetClockPlanner(tenSeconds{})
	ctx := context.Background()
	codes := []string{testutil.CreditCode(301), testutil.CreditCode(302), testutil.CreditCode(303)}
	testutil.MustSeedEnterprises(t, db, codes...)
	ents, _ := db.EnterprisesByCode(ctx, codes)
	for i, c := range codes { // one batch each: their clocks start in this order
		in := incoming(fmt.Sprintf("c-%d", i), c, "wage_arrears", 3, t0)
		in.Enterprise = ents[c]
		if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // distinct start times (the database's clock)
	}
	res, err := db.Sweep(ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Down for an hour: each ticket escalates once per sweep step it missed:
	// enterprise → town; the town clock starts at the sweep, so it waits.
	if res.Escalations != 3 {
		t.Errorf("escalations = %d, want 3", res.Escalations)
	}
	rows, _ := db.Pool().Query(ctx, `
SELECT t.enterprise FROM ticket_history h JOIN tickets t ON t.id = h.ticket_id
WHERE h.kind = 'escalate' ORDER BY h.id`)
	var order []string
	for rows.Next() {
		var e string
		_ = rows.Scan(&e)
		order = append(order, e)
	}
	if fmt.Sprint(order) != fmt.Sprint(codes) {
		t.Errorf("escalation order = %v, want deadline order %v", order, codes)
	}
	if again, _ := db.Sweep(ctx, time.Now().Add(time.Hour)); again.Escalations != 0 {
		t.Errorf("a second sweep at the same moment escalated %d more", again.Escalations)
	}
}

// absorbing is tenSeconds with county absorption on.
type absorbing struct{ tenSeconds }

func (absorbing) CountyAbsorbs() bool { return true }

// An open county-tier ticket absorbs the enterprise's new lower-tier
// signals of other categories; with absorption off they open their own.
func TestCountyTicketAbsorbsLowerTierSignals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		planner gridwarn.ClockPlanner
		tickets int
	}{{"on", absorbing{}, 1}, {"off", tenSeconds{}, 3}} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpenDB(t)
			db.SetClockPlanner(tc.planner)
			ctx := context.Background()
			ent := testutil.CreditCode(1)
			testutil.MustSeedEnterprises(t, db, ent)
			ents, _ := db.EnterprisesByCode(ctx, []string{ent})
			with := func(in gridwarn.Incoming) gridwarn.Incoming { in.Enterprise = ents[ent]; return in }
			if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{with(incoming("red", ent, "wage_arrears", 150, t0))}, nil); err != nil {
				t.Fatal(err)
			}
			// Two lower-tier signals of two other categories in one batch.
			if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{
				with(incoming("blue-1", ent, "contract", 2, t0)), with(incoming("orange-1", ent, "layoff", 40, t0)),
			}, nil); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, "SELECT count(*) FROM tickets"); n != tc.tickets {
				t.Fatalf("tickets = %d, want %d", n, tc.tickets)
			}
			if tc.tickets == 1 {
				ts, _ := db.ListTickets(ctx, all, gridwarn.TicketFilter{})
				if ts[0].EventCount != 3 || ts[0].Category != "wage_arrears" || ts[0].Tier != gridwarn.TierCounty || ts[0].Version != 3 {
					t.Errorf("county ticket = %+v, want 3 events, still wage_arrears at the county, opened, dispatched and one update", ts[0])
				}
				if n := count(t, db, "SELECT count(*) FROM ticket_history WHERE data ? 'absorbed_category'"); n != 2 {
					t.Errorf("absorbed attachments in the history = %d, want 2", n)
				}
			}
		})
	}
}
