package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// What the queue and the person's steps do, against the real database.
// (The API's tests used to assert these against an in-memory copy of the
// service; they now test the port only, with a recording stub.)

// plannedDeadlines gives the k-th ticket that enters a tier the k-th
// deadline of its list: an accept clock due that long after the start, or
// no clock at all for a zero duration.
type plannedDeadlines struct {
	mu   sync.Mutex
	next []time.Duration
}

func (*plannedDeadlines) CountyAbsorbs() bool { return false }

func (p *plannedDeadlines) Clocks(_ gridwarn.Tier, _ gridwarn.Level, start time.Time) []gridwarn.ClockPlan {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.next) == 0 {
		return nil
	}
	d := p.next[0]
	p.next = p.next[1:]
	if d == 0 {
		return nil
	}
	return []gridwarn.ClockPlan{{Kind: gridwarn.ClockAccept, RemindAt: start.Add(d - time.Minute), DueAt: start.Add(d)}}
}

// queueTicket is a ticket a test opens: its level (the tier follows from
// it: red and orange tickets are the town's here, blue the enterprise's,
// so all are in town A's queue) and its deadline (0: none).
type queueTicket struct {
	level gridwarn.Level
	due   time.Duration
}

// openQueue opens one ticket per line in town A, one batch each so that
// ids and deadlines follow the lines, and returns their ids.
func (w *workbench) openQueue(lines []queueTicket) []int64 {
	w.t.Helper()
	ctx := context.Background()
	var ids []int64
	for k, l := range lines {
		e := w.ents[k%len(w.ents)]
		in := incoming(fmt.Sprintf("q-%d", k), e.CreditCode, gridwarn.Categories[k/len(w.ents)], 3, t0)
		in.Enterprise = e
		in.Decision = gridwarn.Decision{Level: l.level, Tier: gridwarn.TierTown, RulesVersion: "test"}
		if l.level == gridwarn.LevelBlue {
			in.Decision.Tier = gridwarn.TierEnterprise
		}
		if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
			w.t.Fatal(err)
		}
		ts, err := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: e.CreditCode, Category: in.Event.Category, Limit: 1})
		if err != nil || len(ts) != 1 {
			w.t.Fatalf("ticket of line %d: %v %+v", k, err, ts)
		}
		ids = append(ids, ts[0].ID)
	}
	return ids
}

// queueOf is p's queue under f, as ids.
func (w *workbench) queueOf(who string, f gridwarn.QueueFilter) []int64 {
	w.t.Helper()
	p := w.people[who]
	q, err := w.db.Queue(context.Background(), p, gridwarn.VisibilityOf(p.Scope), f)
	if err != nil {
		w.t.Fatalf("queue of %s (%+v): %v", who, f, err)
	}
	ids := []int64{}
	for _, it := range q {
		ids = append(ids, it.ID)
	}
	return ids
}

// The queue's order: red first, then the nearest deadline (none last),
// then the id; a cursor — as the API sends it, through its text form —
// continues exactly after the last item of a page, however the pages are cut.
func TestQueueOrderAndPaging(t *testing.T) {
	lines := []queueTicket{
		{gridwarn.LevelBlue, 100 * time.Hour},  // 0
		{gridwarn.LevelRed, 99 * time.Hour},    // 1
		{gridwarn.LevelBlue, 0},                // 2
		{gridwarn.LevelBlue, 97 * time.Hour},   // 3
		{gridwarn.LevelRed, 96 * time.Hour},    // 4
		{gridwarn.LevelRed, 0},                 // 5
		{gridwarn.LevelOrange, 0},              // 6
		{gridwarn.LevelBlue, 93 * time.Hour},   // 7
		{gridwarn.LevelBlue, 0},                // 8
		{gridwarn.LevelOrange, 91 * time.Hour}, // 9
	}
	planner := &plannedDeadlines{}
	for _, l := range lines {
		planner.next = append(planner.next, l.due)
	}
	w := newWorkbench(t, planner)
	id := w.openQueue(lines)
	want := []int64{id[4], id[1], id[5], id[9], id[6], id[7], id[3], id[0], id[2], id[8]}

	const head = "mediator-320924100-1"
	p := w.people[head]
	q, err := w.db.Queue(context.Background(), p, gridwarn.VisibilityOf(p.Scope), gridwarn.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := []int64{}
	for _, it := range q {
		got = append(got, it.ID)
		k := indexOf(id, it.ID)
		if (it.DueAt == nil) != (lines[k].due == 0) {
			t.Errorf("ticket of line %d: due_at %v, want a deadline: %v", k, it.DueAt, lines[k].due != 0)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("queue (-want +got):\n%s", diff)
	}

	for _, size := range []int{1, 2, 3, 4} {
		var paged []int64
		var after *gridwarn.QueueKey
		for range len(want) + 1 {
			page, err := w.db.Queue(context.Background(), p, gridwarn.VisibilityOf(p.Scope), gridwarn.QueueFilter{After: after, Limit: size})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > size {
				t.Fatalf("pages of %d: a page of %d", size, len(page))
			}
			for _, it := range page {
				paged = append(paged, it.ID)
			}
			if len(page) < size {
				break
			}
			k, ok := gridwarn.ParseQueueCursor(page[len(page)-1].Key().Cursor())
			if !ok {
				t.Fatalf("the cursor of %+v does not parse", page[len(page)-1].Key())
			}
			after = &k
		}
		if diff := cmp.Diff(want, paged); diff != "" {
			t.Errorf("pages of %d (-want +got):\n%s", size, diff)
		}
	}
}

func indexOf(ids []int64, id int64) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

// Each filter of the queue, alone and together; closed and merged tickets
// are never in it; the town filter cuts the county's queue.
func TestQueueFilters(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	id := w.openQueue([]queueTicket{
		{gridwarn.LevelRed, 0}, {gridwarn.LevelOrange, 0}, {gridwarn.LevelBlue, 0}, {gridwarn.LevelBlue, 0}, {gridwarn.LevelBlue, 0},
	})
	const med, head = "mediator-320924100-2", "mediator-320924100-1"
	w.must(med, id[1], "claim", gridwarn.ActionBody{})
	w.must(med, id[1], "accept", gridwarn.ActionBody{})
	w.must(med, id[2], "claim", gridwarn.ActionBody{})
	w.must(head, id[3], "claim", gridwarn.ActionBody{})
	w.closeTicket(id[4])
	cat := func(i int) gridwarn.Category {
		d, err := w.db.Ticket(ctx, all, id[i])
		if err != nil {
			t.Fatal(err)
		}
		return d.Category
	}

	for _, tc := range []struct {
		name string
		who  string
		f    gridwarn.QueueFilter
		want []int64
	}{
		{"everything open", head, gridwarn.QueueFilter{}, []int64{id[0], id[1], id[2], id[3]}},
		{"level", head, gridwarn.QueueFilter{Level: gridwarn.LevelBlue}, []int64{id[2], id[3]}},
		{"category", head, gridwarn.QueueFilter{Category: cat(2)}, []int64{id[0], id[1], id[2], id[3]}},
		{"state", head, gridwarn.QueueFilter{Status: gridwarn.StatusAccepted}, []int64{id[1]}},
		{"state closed", head, gridwarn.QueueFilter{Status: gridwarn.StatusClosed}, []int64{}},
		{"mine", med, gridwarn.QueueFilter{Mine: true}, []int64{id[1], id[2]}},
		{"mine, the head's", head, gridwarn.QueueFilter{Mine: true}, []int64{id[3]}},
		{"unclaimed", med, gridwarn.QueueFilter{Open: true}, []int64{id[0]}},
		{"mine and a level", med, gridwarn.QueueFilter{Mine: true, Level: gridwarn.LevelOrange}, []int64{id[1]}},
		{"town", head, gridwarn.QueueFilter{TownCode: testutil.TownA}, []int64{id[0], id[1], id[2], id[3]}},
		{"another town", head, gridwarn.QueueFilter{TownCode: testutil.TownB}, []int64{}},
		{"another town's mediator", "mediator-320924101-1", gridwarn.QueueFilter{}, []int64{}},
	} {
		if got := w.queueOf(tc.who, tc.f); !cmp.Equal(tc.want, got) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}

	// The category filter (the tickets above share one); a merged ticket
	// leaves the queue.
	dup := w.openDuplicate(w.ents[0], "queue")
	if got := w.queueOf(head, gridwarn.QueueFilter{Category: gridwarn.Categories[len(gridwarn.Categories)-1]}); !cmp.Equal([]int64{dup}, got) {
		t.Fatalf("the duplicate's category: %v, want %d", got, dup)
	}
	w.must(head, dup, "merge", gridwarn.ActionBody{Into: id[0]})
	if got := w.queueOf(head, gridwarn.QueueFilter{Category: gridwarn.Categories[len(gridwarn.Categories)-1]}); len(got) != 0 {
		t.Errorf("after the merge: %v, want the merged ticket gone", got)
	}

	// The county's queue holds county-tier tickets of every town; the town
	// filter cuts it.
	bs, err := w.db.Enterprises(ctx, all, gridwarn.EnterpriseFilter{TownCode: testutil.TownB, Limit: 1})
	if err != nil || len(bs) != 1 {
		t.Fatalf("an enterprise of town B: %v %+v", err, bs)
	}
	inA := incoming("q-red-a", w.ents[1].CreditCode, "layoff", 150, t0)
	inA.Enterprise = w.ents[1]
	inB := incoming("q-red-b", bs[0].CreditCode, "layoff", 150, t0)
	inB.Enterprise = bs[0]
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{inA, inB}, nil); err != nil {
		t.Fatal(err)
	}
	countyIDs := func(town string) []int64 {
		ts, err := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Category: "layoff", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for i := len(ts) - 1; i >= 0; i-- {
			if ts[i].Tier == gridwarn.TierCounty && (town == "" || ts[i].TownCode == town) {
				out = append(out, ts[i].ID)
			}
		}
		return out
	}
	const county = "mediator-county-1"
	if got, want := w.queueOf(county, gridwarn.QueueFilter{}), countyIDs(""); len(want) != 2 || !cmp.Equal(want, got) {
		t.Errorf("the county's queue: %v, want %v (both towns' county tickets)", got, want)
	}
	if got, want := w.queueOf(county, gridwarn.QueueFilter{TownCode: testutil.TownB}), countyIDs(testutil.TownB); len(want) != 1 || !cmp.Equal(want, got) {
		t.Errorf("the county's queue of town B: %v, want %v", got, want)
	}
}

// ClaimNext takes the queue's first unclaimed ticket by level, then id —
// skipping the tickets others hold — and says so when nothing is left.
func TestClaimNextSkipsClaimedTickets(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	id := w.openQueue([]queueTicket{
		{gridwarn.LevelBlue, 0}, {gridwarn.LevelRed, 0}, {gridwarn.LevelOrange, 0}, {gridwarn.LevelRed, 0}, {gridwarn.LevelBlue, 0},
	})
	const med, head = "mediator-320924100-2", "mediator-320924100-1"
	w.must(head, id[1], "claim", gridwarn.ActionBody{}) // the first red
	w.must(head, id[4], "claim", gridwarn.ActionBody{}) // the last blue
	p := w.people[med]
	var got []int64
	for range len(id) {
		tk, err := w.db.ClaimNext(ctx, p, gridwarn.VisibilityOf(p.Scope))
		if gridwarn.ErrorCode(err) == gridwarn.ENOTFOUND {
			if !strings.Contains(gridwarn.ErrorMessage(err), "nothing to claim") {
				t.Errorf("empty queue: %v", err)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if tk.ClaimedBy != med || tk.LeaseExpiresAt == nil {
			t.Errorf("claimed %+v, want a lease of %s", tk, med)
		}
		got = append(got, tk.ID)
	}
	if want := []int64{id[3], id[2], id[0]}; !cmp.Equal(want, got) {
		t.Errorf("claimed %v, want %v (red, orange, blue; none of the head's)", got, want)
	}
	d, _ := w.db.Ticket(ctx, all, id[3])
	if last := d.History[len(d.History)-1]; last.Kind != "claim" || last.Actor != "user:"+med {
		t.Errorf("last history line = %+v, want med's claim", last)
	}
	// The head's tickets stay theirs.
	for _, i := range []int{1, 4} {
		if d, _ := w.db.Ticket(ctx, all, id[i]); d.ClaimedBy != head {
			t.Errorf("ticket %d is claimed by %q, want the head", id[i], d.ClaimedBy)
		}
	}
	// The county's mediator has nothing to claim in town A's queue.
	c := w.people["mediator-county-1"]
	if _, err := w.db.ClaimNext(ctx, c, gridwarn.VisibilityOf(c.Scope)); gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		t.Errorf("the county's claim: %v, want not found", err)
	}
}

// The steps that the other walks (TestMediatorsDay, the door's and the
// validation's tests) do not take one by one: each moves the ticket as the
// table says, raises the version by one and writes its history line.
func TestEveryStepMovesTheTicket(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	const med, head = "mediator-320924100-2", "mediator-320924100-1"
	id := w.openQueue([]queueTicket{{gridwarn.LevelBlue, 0}})[0]
	dupID := w.openDuplicate(w.ents[0], "walk")

	due := time.Now().Add(30 * 24 * time.Hour)
	for _, s := range []struct {
		who, action string
		body        gridwarn.ActionBody
		ticket      int64
		status      gridwarn.Status
		tier        gridwarn.Tier
		claimedBy   string
	}{
		{med, "claim", gridwarn.ActionBody{}, id, gridwarn.StatusDispatched, gridwarn.TierEnterprise, med},
		{med, "unclaim", gridwarn.ActionBody{}, id, gridwarn.StatusDispatched, gridwarn.TierEnterprise, ""},
		{head, "assign", gridwarn.ActionBody{Assignee: med}, id, gridwarn.StatusDispatched, gridwarn.TierEnterprise, med},
		{med, "return", gridwarn.ActionBody{Reason: "不属本企业调委会"}, id, gridwarn.StatusDispatched, gridwarn.TierTown, ""},
		{head, "hand_down", gridwarn.ActionBody{Instructions: "先由企业调委会处理"}, id, gridwarn.StatusDispatched, gridwarn.TierEnterprise, ""},
		{med, "claim", gridwarn.ActionBody{}, id, gridwarn.StatusDispatched, gridwarn.TierEnterprise, med},
		{med, "accept", gridwarn.ActionBody{}, id, gridwarn.StatusAccepted, gridwarn.TierEnterprise, med},
		{head, "extend", gridwarn.ActionBody{DueAt: &due, Reason: "等待审计"}, id, gridwarn.StatusAccepted, gridwarn.TierEnterprise, med},
		{head, "escalate", gridwarn.ActionBody{Reason: "企业负责人失联"}, id, gridwarn.StatusDispatched, gridwarn.TierTown, ""},
		{head, "merge", gridwarn.ActionBody{Into: id}, dupID, gridwarn.StatusMerged, gridwarn.TierEnterprise, ""},
	} {
		before, err := w.db.Ticket(ctx, all, s.ticket)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := w.act(s.who, s.ticket, s.action, s.body)
		if err != nil {
			t.Fatalf("%s %s: %v", s.who, s.action, err)
		}
		if tk.Status != s.status || tk.Tier != s.tier || tk.ClaimedBy != s.claimedBy || tk.Version != before.Version+1 {
			t.Errorf("%s %s: %s at %s claimed by %q, version %d; want %s at %s claimed by %q, version %d",
				s.who, s.action, tk.Status, tk.Tier, tk.ClaimedBy, tk.Version, s.status, s.tier, s.claimedBy, before.Version+1)
		}
		d, _ := w.db.Ticket(ctx, all, s.ticket)
		last := d.History[len(d.History)-1]
		if string(last.Kind) != s.action || last.Actor != "user:"+s.who || last.From != string(before.Status) || last.To != string(s.status) {
			t.Errorf("%s %s: last history line %+v", s.who, s.action, last)
		}
	}
	if d, _ := w.db.Ticket(ctx, all, dupID); d.MergedInto != id {
		t.Errorf("merged into %d, want %d", d.MergedInto, id)
	}

	// A paid follow-up leaves the ticket closed; reopen by the tier head
	// sends it back to the queue.
	w.must(med, id, "claim", gridwarn.ActionBody{})
	w.must(med, id, "accept", gridwarn.ActionBody{})
	w.must(med, id, "start", gridwarn.ActionBody{})
	w.must(med, id, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "paid_in_part", PromisedPayments: []string{"2026-12-15"}}})
	w.must(head, id, "review", gridwarn.ActionBody{Approved: yes()})
	w.must(med, id, "callback", gridwarn.ActionBody{Satisfied: yes()})
	w.must(med, id, "close", gridwarn.ActionBody{})
	if tk := w.must(med, id, "follow_up", gridwarn.ActionBody{FollowUpOn: "2026-12-15", Paid: yes()}); tk.Status != gridwarn.StatusClosed || tk.ClosedAt == nil {
		t.Errorf("paid follow-up: %+v, want still closed", tk)
	}
	if tk := w.must(head, id, "reopen", gridwarn.ActionBody{Reason: "工资再次拖欠"}); tk.Status != gridwarn.StatusDispatched || tk.ClosedAt != nil || tk.ClaimedBy != "" {
		t.Errorf("reopen: %+v, want dispatched, not closed, unclaimed", tk)
	}
}

// Who may not take a step, and why: 409 when the ticket does not admit it
// now (listing what does; [] on a merged ticket), 403 when it does but not
// from this person, 404 outside the person's part of the territory. None
// changes the ticket.
func TestRefusedSteps(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	const med, head = "mediator-320924100-2", "mediator-320924100-1"
	id := w.openQueue([]queueTicket{{gridwarn.LevelBlue, 0}, {gridwarn.LevelBlue, 0}})
	dup := w.openDuplicate(w.ents[0], "refused")
	w.must(med, id[0], "claim", gridwarn.ActionBody{})
	w.must(head, dup, "merge", gridwarn.ActionBody{Into: id[0]})
	for _, a := range []string{"claim", "accept", "start"} {
		w.must(med, id[1], a, gridwarn.ActionBody{})
	}
	w.must(med, id[1], "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "withdrawn"}})
	w.must(head, id[1], "review", gridwarn.ActionBody{Approved: yes()})
	w.must(med, id[1], "callback", gridwarn.ActionBody{Satisfied: yes()})
	for _, tc := range []struct {
		name, who, action string
		ticket            int64
		body              gridwarn.ActionBody
		code              string
		detail            string
	}{
		{"claim what another holds", head, "claim", id[0], gridwarn.ActionBody{}, gridwarn.ECONFLICT, "claimed by someone else"},
		{"accept what another holds", head, "accept", id[0], gridwarn.ActionBody{}, gridwarn.EFORBIDDEN, "only "},
		{"a note on a merged ticket", head, "note", dup, gridwarn.ActionBody{Note: "x"}, gridwarn.ECONFLICT, "merged"},
		{"the county's leader closes a town's ticket", "leader", "close", id[1], gridwarn.ActionBody{}, gridwarn.EFORBIDDEN, "only "},
		{"another town's mediator", "mediator-320924101-1", "note", id[0], gridwarn.ActionBody{Note: "x"}, gridwarn.ENOTFOUND, ""},
	} {
		before, _ := w.db.Ticket(ctx, all, tc.ticket)
		_, err := w.act(tc.who, tc.ticket, tc.action, tc.body)
		if gridwarn.ErrorCode(err) != tc.code || !strings.Contains(gridwarn.ErrorMessage(err), tc.detail) {
			t.Errorf("%s: %v, want %s (%q)", tc.name, err, tc.code, tc.detail)
		}
		if tc.code == gridwarn.ECONFLICT && len(allowed(err)) == 0 && tc.ticket != dup {
			t.Errorf("%s: 409 lists no allowed action", tc.name)
		}
		if after, _ := w.db.Ticket(ctx, all, tc.ticket); after.Version != before.Version {
			t.Errorf("%s: the ticket changed", tc.name)
		}
	}
	// A merged ticket admits nothing: its 409 lists no action, for anyone.
	for _, who := range []string{med, head} {
		if _, err := w.act(who, dup, "note", gridwarn.ActionBody{Note: "x"}); gridwarn.ErrorCode(err) != gridwarn.ECONFLICT || len(allowed(err)) != 0 {
			t.Errorf("%s notes a merged ticket: %v (allowed %v), want 409 allowing nothing", who, err, allowed(err))
		}
	}
}

// openDuplicate opens another (blue) ticket of enterprise e, in a
// category the other helpers do not use, and returns its id.
func (w *workbench) openDuplicate(e gridwarn.Enterprise, key string) int64 {
	w.t.Helper()
	ctx := context.Background()
	in := incoming("dup-"+key, e.CreditCode, gridwarn.Categories[len(gridwarn.Categories)-1], 3, t0)
	in.Enterprise = e
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
		w.t.Fatal(err)
	}
	ts, err := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: e.CreditCode, Category: in.Event.Category, Limit: 1})
	if err != nil || len(ts) != 1 {
		w.t.Fatalf("duplicate of %s: %v %+v", e.CreditCode, err, ts)
	}
	return ts[0].ID
}

// The queue's deadline is tickets.next_due_at, kept by the triggers of
// migration 00026 on ticket_clocks: after steps that stop, extend and start
// clocks it is still the earliest due time of the ticket's running clocks
// as the detail shows them, and the order follows it.
func TestQueueDueFollowsTheRunningClocks(t *testing.T) {
	lines := []queueTicket{{gridwarn.LevelBlue, 50 * time.Hour}, {gridwarn.LevelBlue, 40 * time.Hour}, {gridwarn.LevelBlue, 0}}
	planner := &plannedDeadlines{}
	for _, l := range lines {
		planner.next = append(planner.next, l.due)
	}
	w := newWorkbench(t, planner)
	id := w.openQueue(lines)
	const med, head = "mediator-320924100-2", "mediator-320924100-1"
	ctx := context.Background()
	check := func(when string) []int64 {
		t.Helper()
		p := w.people[head]
		q, err := w.db.Queue(ctx, p, gridwarn.VisibilityOf(p.Scope), gridwarn.QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var order []int64
		for _, it := range q {
			order = append(order, it.ID)
			d, err := w.db.Ticket(ctx, all, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			var want *time.Time
			for _, c := range d.Clocks {
				if c.StoppedAt == nil && (want == nil || c.DueAt.Before(*want)) {
					due := c.DueAt
					want = &due
				}
			}
			if (want == nil) != (it.DueAt == nil) || (want != nil && !want.Equal(*it.DueAt)) {
				t.Errorf("%s: ticket %d in the queue with due %v, its running clocks say %v", when, it.ID, it.DueAt, want)
			}
		}
		return order
	}
	if got, want := check("opened"), []int64{id[1], id[0], id[2]}; !slices.Equal(got, want) {
		t.Errorf("opened: queue %v, want %v", got, want)
	}
	// Accepting stops the accept clock (the planner starts no other), and
	// an extension moves a deadline: the queue follows both.
	w.must(med, id[1], "claim", gridwarn.ActionBody{})
	w.must(med, id[1], "accept", gridwarn.ActionBody{})
	check("accepted")
	due := time.Now().Add(10 * time.Hour).Truncate(time.Microsecond)
	w.must(head, id[1], "extend", gridwarn.ActionBody{DueAt: &due, Reason: "等待审计"})
	check("extended")
}
