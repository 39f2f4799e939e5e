package demo

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
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
	// (0: the default, 3; negative: none).
	Leave  int
	Rand   *rand.Rand
	Logger *slog.Logger
	// Now is the time the records carry (contacts, agreements); default
	// time.Now.
	Now func() time.Time
	// Patience is how long a fresh ticket waits for people before the
	// simulation may take it (0: Fresh; negative: not at all, for the
	// history, which has no people).
	Patience time.Duration
}

func (m *Mediators) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
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

// Fresh is how long a ticket that just entered a queue (or was released)
// waits for a person before the simulated mediators may take it.
const Fresh = 2 * time.Minute

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

func (m *Mediators) patience() time.Duration {
	switch {
	case m.Patience < 0:
		return 0
	case m.Patience == 0:
		return Fresh
	}
	return m.Patience
}

// Step works one ticket of one unit for a moment: the next step of its
// life, and the ones that naturally follow at once (claim, accept and
// start; a call-back and the close), by whoever of the unit's simulated
// mediators takes each.
func (m *Mediators) Step(ctx context.Context) error {
	if len(m.People) == 0 {
		return nil
	}
	return m.step(ctx, m.People, false)
}

// StepCounty is Step for the county's simulated mediators alone: the
// county answers a red report at once (30 minutes to accept).
func (m *Mediators) StepCounty(ctx context.Context) error {
	var county []*gridwarn.Principal
	for _, p := range m.People {
		if p.Scope.Kind == gridwarn.ScopeCounty {
			county = append(county, p)
		}
	}
	if len(county) == 0 {
		return nil
	}
	return m.step(ctx, county, true)
}

// step works a ticket of one of people's units; fresh: a ticket nobody
// holds yet first.
func (m *Mediators) step(ctx context.Context, people []*gridwarn.Principal, fresh bool) error {
	var (
		p         *gridwarn.Principal
		mine      []gridwarn.QueueItem // tickets the simulation may touch
		unclaimed int
	)
	// Of a few units, the one with the most work on its hands (the
	// county's short limits need it more often than a quiet town).
	for range 6 {
		c := people[m.Rand.IntN(len(people))]
		q, err := m.Work.Queue(ctx, c, gridwarn.VisibilityOf(c.Scope), gridwarn.QueueFilter{Limit: 50})
		if err != nil {
			return err
		}
		if cm, cu := m.touchable(q); len(cm) > len(mine) {
			p, mine, unclaimed = c, cm, cu
		}
	}
	if len(mine) == 0 {
		return nil
	}
	// Mostly carry on with work in hand.
	it := mine[m.Rand.IntN(len(mine))]
	if i := slices.IndexFunc(mine, func(x gridwarn.QueueItem) bool {
		return x.ClaimedBy == "" && x.Status == gridwarn.StatusDispatched
	}); fresh && i >= 0 {
		it = mine[i]
	} else if m.Rand.IntN(100) < 70 {
		for _, x := range mine {
			if x.ClaimedBy != "" {
				it = x
				break
			}
		}
	}
	leave := m.Leave
	if leave == 0 {
		leave = 3
	}
	if it.ClaimedBy == "" && it.Status == gridwarn.StatusDispatched && unclaimed <= leave {
		return nil // left for the people using the demo
	}
	t := it.Ticket
	for range 4 {
		actor, action, body, more := m.next(ctx, p, t)
		if actor == nil {
			return nil
		}
		v := gridwarn.VisibilityOf(actor.Scope)
		d, err := m.Tickets.Ticket(ctx, v, t.ID)
		if err != nil {
			return err
		}
		if _, err := m.Work.Act(ctx, actor, v, gridwarn.ActionRequest{TicketID: t.ID, Action: action, IfMatch: d.Version, Body: body}); err != nil {
			return err
		}
		m.Logger.Debug("demo mediator: step", "user", actor.Username, "ticket_id", t.ID, "action", action)
		if !more {
			return nil
		}
		d, err = m.Tickets.Ticket(ctx, v, t.ID)
		if err != nil {
			return err
		}
		t = d.Ticket
	}
	return nil
}

// touchable are the tickets of q the simulation may work, and how many
// dispatched tickets of q nobody holds.
func (m *Mediators) touchable(q []gridwarn.QueueItem) (mine []gridwarn.QueueItem, unclaimed int) {
	for _, it := range q {
		switch {
		case it.ClaimedBy == "" && it.Status != gridwarn.StatusNew && m.now().Sub(it.UpdatedAt) < m.patience():
			// Just dispatched, escalated or released: people get the
			// first go at it.
			if it.Status == gridwarn.StatusDispatched {
				unclaimed++
			}
		case it.ClaimedBy == "":
			if it.Status == gridwarn.StatusDispatched {
				unclaimed++
			}
			mine = append(mine, it)
		case IsSimulated(it.ClaimedBy), it.Status == gridwarn.StatusReplied:
			mine = append(mine, it)
		}
	}
	return mine, unclaimed
}

// next is the next step of ticket t for the simulated mediators of p's
// unit: who takes it, what, and whether another step follows at once.
// A nil actor: nothing for them to do (a person holds it, say).
func (m *Mediators) next(ctx context.Context, p *gridwarn.Principal, t gridwarn.Ticket) (*gridwarn.Principal, string, gridwarn.ActionBody, bool) {
	heads, workers := m.unit(p)
	if t.ClaimedBy != "" && !IsSimulated(t.ClaimedBy) && t.Status != gridwarn.StatusReplied {
		return nil, "", gridwarn.ActionBody{}, false // a person's
	}
	claimer := m.byName(t.ClaimedBy) // nil: unclaimed
	claim := func() (*gridwarn.Principal, string, gridwarn.ActionBody, bool) {
		return m.pick(workers), "claim", gridwarn.ActionBody{}, true
	}
	r := m.Rand.IntN(100)
	switch t.Status {
	case gridwarn.StatusNew:
		return m.pick(heads), "dispatch", gridwarn.ActionBody{}, false
	case gridwarn.StatusDispatched:
		if claimer == nil {
			return claim()
		}
		return claimer, "accept", gridwarn.ActionBody{}, true
	case gridwarn.StatusAccepted:
		if claimer == nil {
			return claim()
		}
		if r < 40 {
			return claimer, "contact", gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: "phone_call", HeldAt: m.now(), Summary: "电话联系企业负责人，了解欠薪情况"}}, true
		}
		return claimer, "start", gridwarn.ActionBody{}, false
	case gridwarn.StatusInProgress:
		if claimer == nil {
			return claim()
		}
		switch {
		case r < 10:
			return claimer, "refer", gridwarn.ActionBody{Body: "arbitration", Reference: "射劳人仲案字〔2026〕" + m.now().Format("0102150405") + "号"}, false
		case r < 40:
			return claimer, "contact", gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: "mediation_session", HeldAt: m.now(),
				Place: "镇工会调解室", Attendees: []string{"企业负责人", "职工代表", "调解员"}, Summary: "组织双方调解"}}, false
		default:
			return claimer, "reply", gridwarn.ActionBody{Outcome: &gridwarn.Outcome{Result: "paid_in_full",
				AmountRecoveredCNY: float64(20+m.Rand.IntN(400)) * 1000, WorkersCovered: 3 + m.Rand.IntN(60),
				AgreementDate: m.now().Format("2006-01-02")}}, false
		}
	case gridwarn.StatusReplied:
		// The unit's simulated tier head reviews every reply, a person's
		// too: its author may not (separation of duties).
		return m.pick(heads), "review", gridwarn.ActionBody{Approved: yes(r >= 10)}, false
	case gridwarn.StatusReviewed:
		actor := claimer
		if actor == nil {
			if t.ClaimedBy != "" {
				return nil, "", gridwarn.ActionBody{}, false
			}
			actor = m.pick(workers)
		}
		d, err := m.Tickets.Ticket(ctx, gridwarn.VisibilityOf(actor.Scope), t.ID)
		if err == nil && containsKind(d.History, "callback") {
			return actor, "close", gridwarn.ActionBody{Note: "办结"}, false
		}
		return actor, "callback", gridwarn.ActionBody{Satisfied: yes(r >= 8), Note: "回访举报人"}, r < 70
	}
	return nil, "", gridwarn.ActionBody{}, false
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
