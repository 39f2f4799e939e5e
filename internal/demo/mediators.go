package demo

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Mediators works the demo's tickets the way the towns' mediators would, so
// a visitor sees tickets in every state: every interval one simulated
// mediator takes the next step of a ticket in their unit's queue.
//
// They are accounts of their own (SimMediatorName: a tier head who
// dispatches and reviews, and mediators who claim and work), never a demo
// login, and they keep out of the way of the people using the demo: they
// leave a ticket claimed by anyone else alone (only reviewing its reply,
// which its author may not do), and they leave Leave unclaimed tickets in
// every queue for people to claim.
type Mediators struct {
	Work    gridwarn.WorkService
	Tickets gridwarn.TicketService
	// People are the simulated mediators (SimMediatorName) of the
	// county and the towns.
	People   []*gridwarn.Principal
	Interval time.Duration
	// Leave is how many unclaimed tickets each queue keeps for people
	// (default 3).
	Leave  int
	Rand   *rand.Rand
	Logger *slog.Logger
}

// Run works until ctx ends.
func (m *Mediators) Run(ctx context.Context) {
	t := time.NewTicker(m.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.Step(ctx); err != nil && ctx.Err() == nil {
				m.Logger.Debug("demo mediator: step refused", "err", err)
			}
		}
	}
}

func yes(b bool) *bool { return &b }

// unit returns the simulated tier heads and workers of p's unit.
func (m *Mediators) unit(p *gridwarn.Principal) (heads, workers []*gridwarn.Principal) {
	for _, o := range m.People {
		if o.Scope.Kind != p.Scope.Kind || o.Scope.UnitCode != p.Scope.UnitCode {
			continue
		}
		if o.TierHead {
			heads = append(heads, o)
		} else {
			workers = append(workers, o)
		}
	}
	return heads, workers
}

func (m *Mediators) byName(name string) *gridwarn.Principal {
	for _, o := range m.People {
		if o.Username == name {
			return o
		}
	}
	return nil
}

func (m *Mediators) pick(ps []*gridwarn.Principal) *gridwarn.Principal {
	if len(ps) == 0 {
		return nil
	}
	return ps[m.Rand.IntN(len(ps))]
}

// Step takes one step of one ticket.
func (m *Mediators) Step(ctx context.Context) error {
	if len(m.People) == 0 {
		return nil
	}
	p := m.People[m.Rand.IntN(len(m.People))]
	heads, workers := m.unit(p)
	v := gridwarn.VisibilityOf(p.Scope)
	q, err := m.Work.Queue(ctx, p, v, gridwarn.QueueFilter{Limit: 50})
	if err != nil || len(q) == 0 {
		return err
	}
	leave := m.Leave
	if leave <= 0 {
		leave = 3
	}
	unclaimed := 0
	var mine []gridwarn.QueueItem // tickets the simulation may touch
	for _, it := range q {
		switch {
		case it.ClaimedBy == "":
			if it.Status == gridwarn.StatusDispatched {
				unclaimed++
			}
			mine = append(mine, it)
		case IsSimulated(it.ClaimedBy), it.Status == gridwarn.StatusReplied:
			mine = append(mine, it)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	it := mine[m.Rand.IntN(len(mine))]
	claimer := m.byName(it.ClaimedBy) // nil: unclaimed, or a person's
	r := m.Rand.IntN(100)
	var (
		actor  *gridwarn.Principal
		action string
		body   gridwarn.ActionBody
	)
	switch it.Status {
	case gridwarn.StatusNew:
		actor, action = m.pick(heads), "dispatch"
	case gridwarn.StatusDispatched:
		actor, action = claimer, "accept"
		if claimer == nil {
			if unclaimed <= leave {
				return nil // left for the people using the demo
			}
			actor, action = m.pick(workers), "claim"
		}
	case gridwarn.StatusAccepted:
		actor, action = claimer, "start"
		if r < 40 {
			action, body = "contact", gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: "phone_call", HeldAt: time.Now(), Summary: "电话联系企业负责人，了解欠薪情况"}}
		}
		if claimer == nil {
			actor, action, body = m.pick(workers), "claim", gridwarn.ActionBody{}
		}
	case gridwarn.StatusInProgress:
		actor = claimer
		switch {
		case r < 10:
			action, body = "refer", gridwarn.ActionBody{Body: "arbitration", Reference: "射劳人仲案字〔2026〕" + time.Now().Format("0102150405") + "号"}
		case r < 40:
			action, body = "contact", gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: "mediation_session", HeldAt: time.Now(),
				Place: "镇工会调解室", Attendees: []string{"企业负责人", "职工代表", "调解员"}, Summary: "组织双方调解"}}
		default:
			action, body = "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "paid_in_full",
				AmountRecoveredCNY: float64(20+m.Rand.IntN(400)) * 1000, WorkersCovered: 3 + m.Rand.IntN(60),
				AgreementDate: time.Now().Format("2006-01-02")}}
		}
		if claimer == nil {
			actor, action, body = m.pick(workers), "claim", gridwarn.ActionBody{}
		}
	case gridwarn.StatusReplied:
		// The unit's simulated tier head reviews every reply, a person's
		// too: its author may not (separation of duties).
		actor, action, body = m.pick(heads), "review", gridwarn.ActionBody{Approved: yes(r >= 10)}
	case gridwarn.StatusReviewed:
		actor = claimer
		if actor == nil {
			if it.ClaimedBy != "" {
				return nil // a person's ticket: theirs to call back and close
			}
			actor = m.pick(workers)
		}
		action, body = "callback", gridwarn.ActionBody{Satisfied: yes(r >= 8), Note: "回访举报人"}
		d, err := m.Tickets.Ticket(ctx, v, it.ID)
		if err == nil && containsKind(d.History, "callback") && r < 70 {
			action, body = "close", gridwarn.ActionBody{Note: "办结"}
		}
	default:
		return nil
	}
	if actor == nil {
		return nil
	}
	d, err := m.Tickets.Ticket(ctx, v, it.ID)
	if err != nil {
		return err
	}
	_, err = m.Work.Act(ctx, actor, gridwarn.VisibilityOf(actor.Scope), gridwarn.ActionRequest{TicketID: it.ID, Action: action, IfMatch: d.Version, Body: body})
	if err == nil {
		m.Logger.Debug("demo mediator: step", "user", actor.Username, "ticket_id", it.ID, "action", action)
	}
	return err
}

func containsKind(h []gridwarn.HistoryEntry, kind string) bool {
	for i := len(h) - 1; i >= 0; i-- {
		if string(h[i].Kind) == kind {
			return true
		}
		if h[i].Kind == "review" {
			return false
		}
	}
	return false
}
