package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// A claimed town ticket that new signals raise to the county is escalated
// by the engine through the workflow: in the same transaction the lease is
// released, the history says so, and a county mediator claims it at once.
func TestEngineRaiseReleasesTheLease(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	e := w.ents[0]
	id := w.signal(e, "raise-orange", 40, t0) // orange: the town
	const town = "mediator-320924100-2"
	w.must(town, id, "claim", gridwarn.ActionBody{})
	w.must(town, id, "accept", gridwarn.ActionBody{})

	w.signal(e, "raise-red", 150, t0.Add(time.Hour)) // red: the county
	d, err := w.db.Ticket(ctx, all, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Tier != gridwarn.TierCounty || d.Status != gridwarn.StatusDispatched || d.ClaimedBy != "" || d.LeaseExpiresAt != nil {
		t.Fatalf("after the red signal: %+v, want dispatched at the county with no lease", d.Ticket)
	}
	last := d.History[len(d.History)-1]
	var data struct {
		Tier struct{ From, To gridwarn.Tier }
	}
	_ = json.Unmarshal(last.Data, &data)
	if last.Kind != "escalate" || last.Actor != gridwarn.ActorEngine || last.From != "accepted" || last.To != "dispatched" ||
		data.Tier.From != gridwarn.TierTown || data.Tier.To != gridwarn.TierCounty {
		t.Errorf("last history line = %+v (%s), want the engine's escalation accepted → dispatched, town → county", last, last.Data)
	}
	// The town mediator can no longer work it; the county's claims it now.
	if _, err := w.act(town, id, "start", gridwarn.ActionBody{}); err == nil {
		t.Error("the town mediator still works a county ticket")
	}
	if tk := w.must("mediator-county-1", id, "claim", gridwarn.ActionBody{}); tk.ClaimedBy != "mediator-county-1" {
		t.Errorf("county claim: %+v", tk)
	}
	// One tier-changed notification, from the escalation.
	if n := count(t, w.db, fmt.Sprintf("SELECT count(*) FROM outbox WHERE topic = 'ticket.tier_changed' AND payload->>'ticket_id' = '%d'", id)); n != 1 {
		t.Errorf("tier_changed notifications = %d, want 1", n)
	}
}

// A referred ticket is with an outside body: a higher signal raises its
// level, never its tier, and its lease stays.
func TestEngineLeavesAReferredTicketAtItsTier(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	e := w.ents[1]
	id := w.signal(e, "ref-orange", 40, t0)
	const town = "mediator-320924100-2"
	for _, a := range []string{"claim", "accept", "start"} {
		w.must(town, id, a, gridwarn.ActionBody{})
	}
	w.must(town, id, "refer", gridwarn.ActionBody{Body: "arbitration", Reference: "射劳仲案〔2026〕12号"})
	w.signal(e, "ref-red", 150, t0.Add(time.Hour))
	d, _ := w.db.Ticket(ctx, all, id)
	if d.Level != gridwarn.LevelRed || d.Tier != gridwarn.TierTown || d.Status != gridwarn.StatusReferred || d.ClaimedBy != town {
		t.Errorf("referred ticket after a red signal: %+v, want red, still referred at the town with its lease", d.Ticket)
	}
}

// A new signal after a ticket closed opens a new ticket that records the
// closed one (relapse_of); both histories say so.
func TestRelapseLinksTheClosedTicket(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	ctx := context.Background()
	e := w.ents[2]
	first := incoming("relapse-1", e.CreditCode, "wage_arrears", 3, t0)
	first.Enterprise = e
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{first}, nil); err != nil {
		t.Fatal(err)
	}
	ts, _ := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: e.CreditCode})
	old := ts[0].ID
	w.closeTicket(old)

	again := incoming("relapse-2", e.CreditCode, "wage_arrears", 3, t0.Add(48*time.Hour))
	again.Enterprise, again.Decision.Relapse = e, true // the rules found the closed ticket
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{again}, nil); err != nil {
		t.Fatal(err)
	}
	ts, _ = w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: e.CreditCode})
	if len(ts) != 2 || ts[0].ID == old || ts[0].RelapseOf != old || ts[0].Status != gridwarn.StatusDispatched {
		t.Fatalf("tickets = %+v, want a new dispatched ticket with relapse_of %d", ts, old)
	}
	nu := ts[0].ID
	d, _ := w.db.Ticket(ctx, all, old)
	if d.Status != gridwarn.StatusClosed {
		t.Errorf("the closed ticket is %s now, want it to stay closed", d.Status)
	}
	if l := d.History[len(d.History)-1]; l.Kind != gridwarn.HistoryRelapsed || l.To != fmt.Sprint(nu) {
		t.Errorf("closed ticket's last history line = %+v, want relapsed → %d", l, nu)
	}
	nd, _ := w.db.Ticket(ctx, all, nu)
	var opened struct {
		RelapseOf int64 `json:"relapse_of"`
	}
	if _ = json.Unmarshal(nd.History[0].Data, &opened); opened.RelapseOf != old {
		t.Errorf("new ticket's opening line = %s, want relapse_of %d", nd.History[0].Data, old)
	}

	// A signal the rules do not call a relapse opens a ticket with no link.
	w.closeTicket(nu)
	plain := incoming("relapse-3", e.CreditCode, "wage_arrears", 3, t0.Add(96*time.Hour))
	plain.Enterprise = e
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{plain}, nil); err != nil {
		t.Fatal(err)
	}
	ts, _ = w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: e.CreditCode, Limit: 1})
	if ts[0].RelapseOf != 0 {
		t.Errorf("a ticket without a relapse decision links %d", ts[0].RelapseOf)
	}
	mustNumberedHistory(t, w.db) // the relapsed ticket's line numbered by the trigger, the rest by the batch
}

// signal stores a wage-arrears signal about e with that many workers and
// returns the enterprise's newest ticket of the category.
func (w *workbench) signal(e gridwarn.Enterprise, id string, workers int, at time.Time) int64 {
	w.t.Helper()
	ctx := context.Background()
	in := incoming(id, e.CreditCode, "wage_arrears", workers, at)
	in.Enterprise = e
	if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
		w.t.Fatal(err)
	}
	ts, err := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Enterprise: e.CreditCode, Category: "wage_arrears", Limit: 1})
	if err != nil || len(ts) == 0 {
		w.t.Fatalf("tickets of %s: %v, %v", e.CreditCode, ts, err)
	}
	return ts[0].ID
}

// closeTicket walks an enterprise-tier ticket of town A to closed.
func (w *workbench) closeTicket(id int64) {
	w.t.Helper()
	const med, head = "mediator-320924100-2", "mediator-320924100-1"
	for _, a := range []string{"claim", "accept", "start"} {
		w.must(med, id, a, gridwarn.ActionBody{})
	}
	w.must(med, id, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "settled_by_mediation"}})
	w.must(head, id, "review", gridwarn.ActionBody{Approved: yes()})
	w.must(med, id, "callback", gridwarn.ActionBody{Satisfied: yes()})
	w.must(med, id, "close", gridwarn.ActionBody{})
}

// The model-based test of the one door: random interleavings of engine
// batches, sweeper ticks (with time moving on) and people's actions on a
// few tickets, against the real database. After every step, every line of
// every ticket's history that is a workflow action is a transition the
// table allows for that kind of actor, and the ticket row agrees with the
// history replayed from its first line.
func TestOneDoorModel(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	steps := 60
	if testing.Short() {
		seeds, steps = seeds[:1], 30
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runDoorModel(t, seed, steps)
		})
	}
}

func runDoorModel(t *testing.T, seed uint64, steps int) {
	w := newWorkbench(t, tenSeconds{})
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, seed))
	ents := w.ents[:3]
	people := []string{"mediator-320924100-1", "mediator-320924100-2", "mediator-county-1", "leader"}
	now := time.Now()
	var log []string
	for step := range steps {
		var did string
		switch k := r.IntN(10); {
		case k < 3: // the engine: a signal about one of the enterprises
			e := ents[r.IntN(len(ents))]
			workers := []int{3, 40, 150}[r.IntN(3)]
			in := incoming(fmt.Sprintf("m%d-%d", seed, step), e.CreditCode, "wage_arrears", workers, t0)
			in.Enterprise = e
			in.Decision.Relapse = r.IntN(2) == 0
			if _, err := w.db.ApplyBatch(ctx, []gridwarn.Incoming{in}, nil); err != nil {
				t.Fatalf("step %d: batch: %v", step, err)
			}
			did = fmt.Sprintf("engine %s %d workers", e.CreditCode, workers)
		case k < 4: // the sweeper, with time moving on past some clocks
			now = now.Add(time.Duration(r.IntN(12)) * time.Second)
			if _, err := w.db.Sweep(ctx, now); err != nil {
				t.Fatalf("step %d: sweep: %v", step, err)
			}
			did = "sweep"
		default: // a person tries an action the workflow allows them now
			ts, _ := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Limit: 100})
			if len(ts) == 0 {
				continue
			}
			tk := ts[r.IntN(len(ts))]
			who := people[r.IntN(len(people))]
			p := w.people[who]
			allowed, err := w.db.Allowed(ctx, p, gridwarn.VisibilityOf(p.Scope), tk.ID)
			if err != nil || len(allowed) == 0 {
				continue
			}
			a := allowed[r.IntN(len(allowed))]
			if a == "merge" || a == "assign" || a == "extend" || a == "hand_off" {
				continue // need another ticket, a person, a date or a county: covered elsewhere
			}
			_, err = w.act(who, tk.ID, a, modelBody(r, a))
			if err != nil && gridwarn.ErrorCode(err) == gridwarn.EINTERNAL {
				t.Fatalf("step %d: %s %s #%d: %v", step, who, a, tk.ID, err)
			}
			did = fmt.Sprintf("%s %s #%d: %v", who, a, tk.ID, err)
		}
		log = append(log, did)
		if msg := checkDoor(t, w); msg != "" {
			t.Fatalf("after step %d (%s): %s\nsteps:\n%s", step, did, msg, strings.Join(log, "\n"))
		}
	}
}

// modelBody is a body that satisfies action a's needs, with a random
// answer where the action branches.
func modelBody(r *rand.Rand, a string) gridwarn.ActionBody {
	b := func() *bool { v := r.IntN(2) == 0; return &v }
	switch workflow.Action(a) {
	case workflow.ActionReply:
		return gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "paid_in_part", PromisedPayments: []string{"2026-12-15"}}}
	case workflow.ActionReview:
		return gridwarn.ActionBody{Approved: b()}
	case workflow.ActionCallback:
		return gridwarn.ActionBody{Satisfied: b()}
	case workflow.ActionFollowUp:
		return gridwarn.ActionBody{FollowUpOn: "2026-12-15", Paid: b()}
	case workflow.ActionReturn, workflow.ActionEscalate, workflow.ActionReopen:
		return gridwarn.ActionBody{Reason: "model"}
	case workflow.ActionHandDown:
		return gridwarn.ActionBody{Instructions: "model"}
	case workflow.ActionRefer:
		return gridwarn.ActionBody{Body: "court", Reference: "model-1"}
	case workflow.ActionNote:
		return gridwarn.ActionBody{Note: "model"}
	case workflow.ActionContact:
		return gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: "phone_call", HeldAt: time.Now()}}
	}
	return gridwarn.ActionBody{}
}

// checkDoor replays every ticket's history and compares it with the row;
// "" when all agree.
func checkDoor(t *testing.T, w *workbench) string {
	t.Helper()
	ctx := context.Background()
	ts, err := w.db.ListTickets(ctx, all, gridwarn.TicketFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range ts {
		d, err := w.db.Ticket(ctx, all, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		status, tier := gridwarn.Status(""), gridwarn.Tier("")
		leased := false
		for i, h := range d.History {
			if h.Kind == gridwarn.HistoryOpened {
				var o struct{ Tier gridwarn.Tier }
				_ = json.Unmarshal(h.Data, &o)
				status, tier = gridwarn.StatusNew, o.Tier
				continue
			}
			a := workflow.Action(h.Kind)
			rule, ok := workflow.Table[a]
			if !ok {
				continue // a record that is not a state change: events, level, clocks
			}
			from, to := gridwarn.Status(h.From), gridwarn.Status(h.To)
			if from != status {
				return fmt.Sprintf("ticket %d line %d: %s from %s, but the replay is at %s", tk.ID, i, a, from, status)
			}
			if !slices.Contains(rule.From, from) {
				return fmt.Sprintf("ticket %d line %d: %s from %s, which the table does not admit", tk.ID, i, a, from)
			}
			out, yesTo := rule.Outcome, rule.To
			if yesTo == "" {
				yesTo = from
			}
			if to != yesTo {
				out = rule.No
				noTo := out.To
				if noTo == "" {
					noTo = from
				}
				if rule.If == "" || to != noTo {
					return fmt.Sprintf("ticket %d line %d: %s %s → %s, which the table does not lead to", tk.ID, i, a, from, to)
				}
			}
			system := strings.HasPrefix(h.Actor, "system:")
			if system && rule.Who&workflow.System == 0 || !system && rule.Who == workflow.System {
				return fmt.Sprintf("ticket %d line %d: %s by %s, whom the table does not admit", tk.ID, i, a, h.Actor)
			}
			var data struct {
				Tier *struct{ From, To gridwarn.Tier }
			}
			_ = json.Unmarshal(h.Data, &data)
			if data.Tier != nil {
				if data.Tier.From != tier {
					return fmt.Sprintf("ticket %d line %d: tier from %s, but the replay is at %s", tk.ID, i, data.Tier.From, tier)
				}
				tier = data.Tier.To
			}
			status = to
			switch out.Lease {
			case workflow.LeaseTake, workflow.LeaseAssign:
				leased = true
			case workflow.LeaseRelease:
				leased = false
			}
		}
		if status != tk.Status || tier != tk.Tier {
			return fmt.Sprintf("ticket %d is %s at %s, the replayed history says %s at %s", tk.ID, tk.Status, tk.Tier, status, tier)
		}
		if !leased && tk.ClaimedBy != "" && tk.LeaseExpiresAt != nil && tk.LeaseExpiresAt.After(time.Now()) {
			return fmt.Sprintf("ticket %d is claimed by %s, but its history released the lease", tk.ID, tk.ClaimedBy)
		}
		if !tk.Status.Open() && tk.ClaimedBy != "" {
			return fmt.Sprintf("ticket %d is %s with a lease", tk.ID, tk.Status)
		}
	}
	return ""
}

// Assign gives the lease only to a mediator who can work the ticket at its
// tier; every other name — unknown, not a mediator, another town's, the
// county's for a town ticket, disabled — gets one and the same answer, so
// a tier head cannot probe other towns' usernames with it.
func TestAssignOnlyToAMediatorAtTheTier(t *testing.T) {
	w := newWorkbench(t, noClocks{})
	id := w.signal(w.ents[3], "assign-1", 40, t0) // orange: the town's
	const head = "mediator-320924100-1"
	var answers []string
	for _, who := range []string{"nobody-at-all", "leader", "mediator-320924101-1", "mediator-county-1"} {
		_, err := w.act(head, id, "assign", gridwarn.ActionBody{Assignee: who})
		if gridwarn.ErrorCode(err) != gridwarn.EINVALID {
			t.Errorf("assign to %s: %v, want invalid", who, err)
		}
		answers = append(answers, gridwarn.ErrorMessage(err)+fmt.Sprint(gridwarn.ErrorFields(err)))
	}
	for _, a := range answers[1:] {
		if a != answers[0] {
			t.Errorf("assign answers differ: %q vs %q", a, answers[0])
		}
	}
	d, _ := w.db.Ticket(context.Background(), all, id)
	if d.ClaimedBy != "" {
		t.Errorf("a refused assign left a lease for %s", d.ClaimedBy)
	}
	if tk := w.must(head, id, "assign", gridwarn.ActionBody{Assignee: "mediator-320924100-2"}); tk.ClaimedBy != "mediator-320924100-2" {
		t.Errorf("assign to the town's own mediator: %+v", tk)
	}
}
