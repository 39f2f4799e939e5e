package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// workbench is the demo county with one ticket per event given, and the
// people who work them.
type workbench struct {
	t      *testing.T
	db     *postgres.DB
	people map[string]*gridwarn.Principal
	ents   []gridwarn.Enterprise // of town 320924100
}

func newWorkbench(t *testing.T, planner ...gridwarn.ClockPlanner) *workbench {
	t.Helper()
	db := MustOpenDB(t)
	db.SetClockPlanner(tenSeconds{})
	for _, p := range planner {
		db.SetClockPlanner(p)
	}
	d := testutil.MustSeedDemoCounty(t, db)
	w := &workbench{t: t, db: db, people: map[string]*gridwarn.Principal{}}
	for _, e := range d.Enterprises {
		if e.TownCode == testutil.TownA {
			w.ents = append(w.ents, e)
		}
	}
	for _, name := range []string{"mediator-320924100-1", "mediator-320924100-2", "mediator-320924101-1", "mediator-county-1", "leader"} {
		u, err := db.UserByName(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		w.people[name] = &gridwarn.Principal{User: *u}
	}
	return w
}

// open opens a ticket (blue, at the enterprise tier: the town union works
// it) for each of n enterprises of town A and returns their ids.
func (w *workbench) open(n int, workers int) []int64 {
	w.t.Helper()
	ctx := context.Background()
	var batch []gridwarn.Incoming
	for i := range n {
		e := w.ents[i%len(w.ents)]
		in := incoming(fmt.Sprintf("w-%d-%d", i, time.Now().UnixNano()), e.CreditCode, gridwarn.Categories[i/len(w.ents)], workers, t0)
		in.Enterprise = e
		batch = append(batch, in)
	}
	if _, err := w.db.ApplyBatch(ctx, batch, nil); err != nil {
		w.t.Fatal(err)
	}
	ts, err := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	ids := make([]int64, 0, len(ts))
	for _, tk := range ts {
		ids = append(ids, tk.ID)
	}
	return ids
}

// act takes an action as a person at the ticket's current version.
func (w *workbench) act(who string, id int64, action string, b gridwarn.ActionBody) (*gridwarn.Ticket, error) {
	w.t.Helper()
	p := w.people[who]
	v := gridwarn.VisibilityOf(p.Scope)
	d, err := w.db.Ticket(context.Background(), v, id)
	if err != nil {
		return nil, err
	}
	return w.db.Act(context.Background(), p, v, gridwarn.ActionRequest{TicketID: id, Action: action, IfMatch: d.Version, Body: b})
}

func (w *workbench) must(who string, id int64, action string, b gridwarn.ActionBody) *gridwarn.Ticket {
	w.t.Helper()
	t, err := w.act(who, id, action, b)
	if err != nil {
		w.t.Fatalf("%s %s: %v", who, action, err)
	}
	return t
}

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

// A mediator's whole day: claim, accept, contact, start, reply with an
// outcome, review, call back, close; then the promised payment is not made
// and the ticket reopens at the tier that closed it.
func TestMediatorsDay(t *testing.T) {
	w := newWorkbench(t)
	id := w.open(1, 3)[0]
	const med, head = "mediator-320924100-2", "mediator-320924100-1"
	w.must(med, id, "claim", gridwarn.ActionBody{})
	w.must(med, id, "accept", gridwarn.ActionBody{})
	_, err := w.act(med, id, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "paid_in_part"}})
	if gridwarn.ErrorCode(err) != gridwarn.ECONFLICT || len(allowed(err)) == 0 {
		t.Fatalf("reply before start: %v, want 409 listing the allowed actions", err)
	}
	w.must(med, id, "contact", gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: "site_visit", HeldAt: time.Now(), Place: "厂区", Attendees: []string{"企业负责人", "职工代表"}}})
	w.must(med, id, "start", gridwarn.ActionBody{})
	w.must(med, id, "note", gridwarn.ActionBody{Note: "双方同意分两期支付", Visibility: "shareable"})
	w.must(med, id, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "paid_in_part", AmountRecoveredCNY: 120000,
		WorkersCovered: 12, AgreementDate: "2026-11-20", PromisedPayments: []string{"2026-12-15"}}})
	if _, err := w.act(med, id, "review", gridwarn.ActionBody{Approved: yes()}); gridwarn.ErrorCode(err) != gridwarn.EFORBIDDEN {
		t.Errorf("a mediator who is not the tier head reviews: %v, want 403", err)
	}
	w.must(head, id, "review", gridwarn.ActionBody{Approved: yes()})
	if _, err := w.act(med, id, "close", gridwarn.ActionBody{}); gridwarn.ErrorCode(err) != gridwarn.ECONFLICT {
		t.Errorf("close before the call-back: %v, want 409", err)
	}
	w.must(med, id, "callback", gridwarn.ActionBody{Satisfied: yes()})
	tk := w.must(med, id, "close", gridwarn.ActionBody{Note: "办结"})
	if tk.Status != gridwarn.StatusClosed || tk.ClaimedBy != "" {
		t.Fatalf("after close: %+v", tk)
	}
	tk = w.must(med, id, "follow_up", gridwarn.ActionBody{FollowUpOn: "2026-12-15", Paid: no()})
	if tk.Status != gridwarn.StatusDispatched || tk.Tier != gridwarn.TierEnterprise || tk.ClosedAt != nil {
		t.Errorf("unpaid follow-up: %+v, want reopened (dispatched) at the tier that closed it", tk)
	}
	d, _ := w.db.Ticket(context.Background(), all, id)
	var kinds []string
	for _, h := range d.History {
		if h.Actor != gridwarn.ActorEngine {
			kinds = append(kinds, string(h.Kind)+":"+h.From+">"+h.To)
		}
	}
	want := "[claim:dispatched>dispatched accept:dispatched>accepted contact:accepted>accepted start:accepted>in_progress " +
		"note:in_progress>in_progress reply:in_progress>replied review:replied>reviewed callback:reviewed>reviewed " +
		"close:reviewed>closed follow_up:closed>dispatched]"
	if fmt.Sprint(kinds) != want {
		t.Errorf("history = %v\nwant      %s", kinds, want)
	}
	if d.Version != 12 {
		t.Errorf("version = %d, want 12 (1 when opened, 1 when the engine dispatched it + 10 accepted actions)", d.Version)
	}
}

func allowed(err error) []string {
	var e *gridwarn.Error
	if errors.As(err, &e) {
		return e.Allowed
	}
	return nil
}

// An unhappy call-back reopens the ticket.
func TestUnhappyCallbackReopens(t *testing.T) {
	w := newWorkbench(t)
	id := w.open(1, 3)[0]
	const med, head = "mediator-320924100-2", "mediator-320924100-1"
	for _, a := range []string{"claim", "accept", "start"} {
		w.must(med, id, a, gridwarn.ActionBody{})
	}
	w.must(med, id, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "settled_by_mediation"}})
	w.must(head, id, "review", gridwarn.ActionBody{Approved: yes()})
	tk := w.must(med, id, "callback", gridwarn.ActionBody{Satisfied: no(), Note: "工人反映仍未发放"})
	if tk.Status != gridwarn.StatusDispatched {
		t.Errorf("unhappy call-back: %+v, want dispatched again", tk)
	}
}

// 20 goroutines send the same change with the same If-Match: exactly one
// succeeds, the rest get 412 — a lost update is impossible.
func TestSameIfMatchOneWins(t *testing.T) {
	w := newWorkbench(t)
	id := w.open(1, 3)[0]
	const med = "mediator-320924100-2"
	w.must(med, id, "claim", gridwarn.ActionBody{})
	p := w.people[med]
	v := gridwarn.VisibilityOf(p.Scope)
	d, _ := w.db.Ticket(context.Background(), v, id)
	var ok, stale atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := w.db.Act(context.Background(), p, v, gridwarn.ActionRequest{TicketID: id, Action: "note", IfMatch: d.Version,
				Body: gridwarn.ActionBody{Note: fmt.Sprintf("note %d", i)}})
			switch gridwarn.ErrorCode(err) {
			case "":
				ok.Add(1)
			case gridwarn.EPRECONDITION:
				stale.Add(1)
			default:
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if ok.Load() != 1 || stale.Load() != 19 {
		t.Errorf("succeeded %d, stale %d; want 1 and 19", ok.Load(), stale.Load())
	}
	after, _ := w.db.Ticket(context.Background(), v, id)
	if after.Version != d.Version+1 {
		t.Errorf("version %d → %d, want +1", d.Version, after.Version)
	}
}

// 8 mediators claim concurrently from a queue of 500: no ticket claimed
// twice, every ticket claimed once.
func TestEightMediatorsClaimFiveHundred(t *testing.T) {
	w := newWorkbench(t)
	ctx := context.Background()
	n := min(500, len(w.ents)*len(gridwarn.Categories))
	w.open(n, 3)
	var mediators []*gridwarn.Principal
	for i := range 8 {
		u, err := w.db.CreateUser(ctx, all, gridwarn.User{Username: fmt.Sprintf("claimer-%d", i), Role: gridwarn.RoleMediator,
			Scope: gridwarn.Scope{Kind: gridwarn.ScopeTown, UnitCode: testutil.TownA}})
		if err != nil {
			t.Fatal(err)
		}
		mediators = append(mediators, &gridwarn.Principal{User: *u})
	}
	claimed := make([]map[int64]bool, len(mediators))
	var wg sync.WaitGroup
	for i, p := range mediators {
		claimed[i] = map[int64]bool{}
		wg.Add(1)
		go func(i int, p *gridwarn.Principal) {
			defer wg.Done()
			for {
				tk, err := w.db.ClaimNext(ctx, p, gridwarn.VisibilityOf(p.Scope))
				if gridwarn.ErrorCode(err) == gridwarn.ENOTFOUND {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				claimed[i][tk.ID] = true
			}
		}(i, p)
	}
	wg.Wait()
	seen := map[int64]int{}
	for _, m := range claimed {
		for id := range m {
			seen[id]++
		}
	}
	twice := 0
	for _, c := range seen {
		if c > 1 {
			twice++
		}
	}
	if len(seen) != n || twice != 0 {
		t.Errorf("claimed %d distinct tickets (%d twice), want %d each once", len(seen), twice, n)
	}
	if c := count(t, w.db, "SELECT count(*) FROM tickets WHERE claimed_by IS NULL"); c != 0 {
		t.Errorf("%d tickets left unclaimed", c)
	}
}

// A lease lapses: the ticket is back in the queue and the history says so.
func TestLeaseLapses(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	id := w.open(1, 3)[0]
	ctx := context.Background()
	const med = "mediator-320924100-2"
	tk := w.must(med, id, "claim", gridwarn.ActionBody{})
	p := w.people["mediator-320924100-1"]
	q, _ := w.db.Queue(ctx, p, gridwarn.VisibilityOf(p.Scope), gridwarn.QueueFilter{Open: true})
	if len(q) != 0 {
		t.Fatalf("a claimed ticket is in the unclaimed queue: %+v", q)
	}
	if _, err := w.db.Sweep(ctx, tk.LeaseExpiresAt.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	q, _ = w.db.Queue(ctx, p, gridwarn.VisibilityOf(p.Scope), gridwarn.QueueFilter{Open: true})
	if len(q) != 1 || q[0].ID != id {
		t.Fatalf("after the lease lapsed the unclaimed queue is %+v, want the ticket", q)
	}
	d, _ := w.db.Ticket(ctx, all, id)
	if last := d.History[len(d.History)-1]; last.Kind != "unclaim" || !strings.Contains(string(last.Data), med) || last.Actor != gridwarn.ActorSweeper {
		t.Errorf("last history line = %+v, want the lapse", last)
	}
	// Someone else may now claim it.
	if _, err := w.act("mediator-320924100-1", id, "claim", gridwarn.ActionBody{}); err != nil {
		t.Errorf("claim after the lapse: %v", err)
	}
}

// The queue: red first, then the nearest deadline; only the caller's unit.
func TestQueueOrderAndScope(t *testing.T) {
	w := newWorkbench(t)
	ctx := context.Background()
	w.open(3, 3) // blue, enterprise tier (the town works it)
	e := w.ents[5]
	red := incoming("red-1", e.CreditCode, "owner_absconded", 150, t0) // red, county tier
	red.Enterprise = e
	orange := incoming("orange-1", e.CreditCode, "layoff", 40, t0) // orange, town tier
	orange.Enterprise = e
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{red, orange}, nil); err != nil {
		t.Fatal(err)
	}
	town := w.people["mediator-320924100-1"]
	q, err := w.db.Queue(ctx, town, gridwarn.VisibilityOf(town.Scope), gridwarn.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var levels []string
	for _, it := range q {
		levels = append(levels, string(it.Level))
	}
	if fmt.Sprint(levels) != "[orange blue blue blue]" {
		t.Errorf("town queue = %v, want the orange first, no county ticket", levels)
	}
	county := w.people["mediator-county-1"]
	q, _ = w.db.Queue(ctx, county, gridwarn.VisibilityOf(county.Scope), gridwarn.QueueFilter{})
	if len(q) != 1 || q[0].Level != gridwarn.LevelRed {
		t.Errorf("county queue = %+v, want the red ticket", q)
	}
	other := w.people["mediator-320924101-1"]
	if q, _ := w.db.Queue(ctx, other, gridwarn.VisibilityOf(other.Scope), gridwarn.QueueFilter{}); len(q) != 0 {
		t.Errorf("another town's queue holds %d of town A's tickets", len(q))
	}
	// Pagination walks the same order.
	first, _ := w.db.Queue(ctx, town, gridwarn.VisibilityOf(town.Scope), gridwarn.QueueFilter{Limit: 2})
	k := first[1].Key()
	rest, _ := w.db.Queue(ctx, town, gridwarn.VisibilityOf(town.Scope), gridwarn.QueueFilter{After: &k})
	if len(first)+len(rest) != 4 || rest[0].ID == first[1].ID {
		t.Errorf("pages = %d + %d", len(first), len(rest))
	}
}

// noClocks starts no clocks: nothing escalates while a test waits.
type noClocks struct{}

func (noClocks) CountyAbsorbs() bool { return false }

func (noClocks) Clocks(gridwarn.Tier, gridwarn.Level, time.Time) []gridwarn.ClockPlan { return nil }

// The reporter's view: a grid worker sees the state, the tier and the
// shareable notes of tickets their reports fed — never internal notes,
// the contact log or other reporters' identities. The legal clocks run
// from acceptance and from the earliest signal.
func TestReportersViewAndLegalClocks(t *testing.T) {
	w := newWorkbench(t)
	ctx := context.Background()
	e := w.ents[0]
	mine := incoming("mine", e.CreditCode, "wage_arrears", 3, t0)
	mine.Enterprise, mine.Event.Reporter = e, &gridwarn.Reporter{Kind: "grid_worker", ID: "gw-me"}
	other := incoming("other", e.CreditCode, "wage_arrears", 3, t0.Add(time.Hour))
	other.Enterprise, other.Event.Reporter = e, &gridwarn.Reporter{Kind: "grid_worker", ID: "gw-someone-else"}
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{mine, other}, nil); err != nil {
		t.Fatal(err)
	}
	ts, _ := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{})
	id := ts[0].ID
	const med = "mediator-320924100-2"
	w.must(med, id, "claim", gridwarn.ActionBody{})
	w.must(med, id, "accept", gridwarn.ActionBody{})
	w.must(med, id, "note", gridwarn.ActionBody{Note: "internal: the boss is difficult", Visibility: "internal"})
	w.must(med, id, "note", gridwarn.ActionBody{Note: "已约谈企业负责人", Visibility: "shareable"})
	w.must(med, id, "contact", gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: "phone_call", HeldAt: time.Now()}})

	view := gridwarn.Visibility{CountyCode: testutil.County, ReporterID: "gw-me"}
	d, err := w.db.Ticket(ctx, view, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Notes) != 1 || d.Notes[0].Visibility != "shareable" || len(d.Contacts) != 0 || len(d.History) != 0 {
		t.Errorf("grid worker sees notes %+v, contacts %d, history %d; want the shareable note only", d.Notes, len(d.Contacts), len(d.History))
	}
	for _, ev := range d.Events {
		if ev.Reporter != nil && ev.Reporter.ID != "" && ev.Reporter.ID != "gw-me" {
			t.Errorf("grid worker sees another reporter's identity %q", ev.Reporter.ID)
		}
	}
	if _, err := w.db.Ticket(ctx, gridwarn.Visibility{CountyCode: testutil.County, ReporterID: "gw-stranger"}, id); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("a grid worker whose reports did not feed it: %v, want not found", err)
	}

	full, _ := w.db.Ticket(ctx, all, id)
	l := full.Legal
	if l == nil || l.MediationStartedAt == nil || *l.MediationDaysLeft < 14 || l.SuggestArbitration ||
		!l.LimitationStartsAt.Equal(t0) || !l.LimitationEndsAt.Equal(t0.AddDate(0, 0, 365)) {
		t.Errorf("legal clocks = %+v", l)
	}
	if len(full.Notes) != 2 || len(full.Contacts) != 1 {
		t.Errorf("mediator sees %d notes and %d contacts, want 2 and 1", len(full.Notes), len(full.Contacts))
	}
}

// Allowed lists what Act would accept now, for each person: the ticket
// page offers only those forms.
func TestAllowedActions(t *testing.T) {
	w := newWorkbench(t)
	id := w.open(1, 3)[0]
	const med, head = "mediator-320924100-2", "mediator-320924100-1" // head: the town's tier head
	allowedTo := func(who string) string {
		t.Helper()
		p := w.people[who]
		got, err := w.db.Allowed(context.Background(), p, gridwarn.VisibilityOf(p.Scope), id)
		if err != nil {
			return gridwarn.ErrorCode(err)
		}
		return fmt.Sprint(got)
	}
	check := func(step, who, want string) {
		t.Helper()
		if got := allowedTo(who); got != want {
			t.Errorf("%s, %s: %s, want %s", step, who, got, want)
		}
	}
	check("unclaimed", med, "[claim contact note]")
	check("another town", "mediator-320924101-1", gridwarn.ENOTFOUND)
	w.must(med, id, "claim", gridwarn.ActionBody{})
	check("claimed by me", med, "[accept claim contact hand_off note return unclaim]")
	check("claimed by another, the tier head", head, "[assign contact escalate hand_off merge note return]")
	w.must(med, id, "accept", gridwarn.ActionBody{})
	w.must(med, id, "start", gridwarn.ActionBody{})
	w.must(med, id, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "withdrawn"}})
	w.must(head, id, "review", gridwarn.ActionBody{Approved: yes()})
	check("reviewed, no call-back, still claimed", med, "[callback contact note unclaim]")
	w.must(med, id, "callback", gridwarn.ActionBody{Satisfied: yes()})
	check("reviewed, call-back recorded", med, "[callback close contact note unclaim]")
	// Every listed action is one Act takes: close is.
	w.must(med, id, "close", gridwarn.ActionBody{Note: "办结"})
}
