package demo

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Mediators works the demo's tickets the way the towns' mediators would, so
// a visitor sees tickets in every state: every interval one of them takes
// the next step of a ticket in their queue.
type Mediators struct {
	Work     gridwarn.WorkService
	Tickets  gridwarn.TicketService
	People   []*gridwarn.Principal // tier heads of towns and of the county
	Interval time.Duration
	Rand     *rand.Rand
	Logger   *slog.Logger
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

// Step takes one step of one ticket.
func (m *Mediators) Step(ctx context.Context) error {
	p := m.People[m.Rand.IntN(len(m.People))]
	v := gridwarn.VisibilityOf(p.Scope)
	q, err := m.Work.Queue(ctx, p, v, gridwarn.QueueFilter{Limit: 20})
	if err != nil || len(q) == 0 {
		return err
	}
	it := q[m.Rand.IntN(len(q))]
	r := m.Rand.IntN(100)
	var (
		action string
		body   gridwarn.ActionBody
	)
	switch it.Status {
	case gridwarn.StatusNew:
		action = "dispatch"
	case gridwarn.StatusDispatched:
		action = "claim"
		if it.ClaimedBy == p.Username {
			action = "accept"
		}
	case gridwarn.StatusAccepted:
		action = "start"
		if r < 40 {
			action, body = "contact", gridwarn.ActionBody{Contact: &gridwarn.Contact{Kind: "phone_call", HeldAt: time.Now(), Summary: "电话联系企业负责人，了解欠薪情况"}}
		}
	case gridwarn.StatusInProgress:
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
	case gridwarn.StatusReplied:
		action, body = "review", gridwarn.ActionBody{Approved: yes(r >= 10)}
	case gridwarn.StatusReviewed:
		action, body = "callback", gridwarn.ActionBody{Satisfied: yes(r >= 8), Note: "回访举报人"}
		d, err := m.Tickets.Ticket(ctx, v, it.ID)
		if err == nil && containsKind(d.History, "callback") && r < 70 {
			action, body = "close", gridwarn.ActionBody{Note: "办结"}
		}
	default:
		return nil
	}
	d, err := m.Tickets.Ticket(ctx, v, it.ID)
	if err != nil {
		return err
	}
	_, err = m.Work.Act(ctx, p, v, gridwarn.ActionRequest{TicketID: it.ID, Action: action, IfMatch: d.Version, Body: body})
	if err == nil {
		m.Logger.Info("demo mediator: step", "user", p.Username, "ticket_id", it.ID, "action", action)
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
