package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// The one door to a ticket's state. Whoever changes a ticket — a person
// through the API or the console, the demo's simulated mediators, the
// sweeper, the engine — asks workflow.Decide for the transition, turns it
// into a plan with planChange (pure: no I/O, no clock) and writes the plan
// with applyPlans. Nothing else in this package writes a ticket's status,
// tier or lease.

// changer is who takes a step, as the history names them.
type changer struct {
	// name is the history actor: "user:<username>", gridwarn.ActorEngine,
	// gridwarn.ActorSweeper.
	name     string
	userID   int64  // a person's id (lease take), 0 for the system
	username string // a person's username, "" for the system
}

func personChanger(p *gridwarn.Principal) changer {
	return changer{name: "user:" + p.Username, userID: p.ID, username: p.Username}
}

var (
	engineChanger  = changer{name: gridwarn.ActorEngine}
	sweeperChanger = changer{name: gridwarn.ActorSweeper}
)

// change is everything planChange needs: the ticket as locked, the
// transition the workflow decided, the body and what was looked up for it.
type change struct {
	r    ticketRow
	tr   workflow.Transition
	by   changer
	body gridwarn.ActionBody
	now  time.Time
	// lease is how long a taken lease lasts.
	lease time.Duration
	// clocks gives the clocks of a tier the ticket enters (nil: none).
	clocks gridwarn.ClockPlanner
	// assigneeID is the mediator an assign gives the lease to.
	assigneeID int64
	// note and data add to the history line (a system actor's reason, the
	// clock that breached).
	note string
	data map[string]any
	// target is the body a refer action sends the ticket to.
	target referralTarget
	// update is a body's update (body_update).
	update *bodyUpdate
	// handoff is the hand-off a hand_off writes; reply the answer a
	// handoff_reply records.
	handoff *gridwarn.Handoff
	reply   *handoffAnswer
	// seq, when not 0, is the feed sequence of the step's history line,
	// numbered by a writer that holds the ticket's lines of its
	// transaction (the engine's batch): the line carries it with the
	// ticket's state after the step and the ticket row keeps it. At 0 the
	// history's trigger numbers the line (migrations 00030, 00038).
	seq int64
}

// stmt is one statement of a plan.
type stmt struct {
	sql  string
	args []any
}

// plan is what one accepted step writes, in order: the ticket row, the
// records the action keeps, the history line, the clocks and the
// notifications.
type plan struct {
	ticketID int64
	stmts    []stmt
}

func (p *plan) add(sql string, args ...any) { p.stmts = append(p.stmts, stmt{sql, args}) }

// planChange turns a decided transition into the statements that record
// it. It is pure: the same change gives the same plan.
func planChange(c change) (plan, error) {
	r, tr, b, now := c.r, c.tr, c.body, c.now
	p := plan{ticketID: r.ID}
	set := []string{"status = $2", "version = version + 1", "updated_at = $3"}
	args := []any{r.ID, string(tr.To), now}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	note := c.note
	if b.Note != "" {
		note = b.Note
	}
	data := map[string]any{}
	for k, v := range c.data {
		data[k] = v
	}
	var records []stmt
	record := func(sql string, args ...any) { records = append(records, stmt{sql, args}) }

	// The lease.
	switch tr.Lease {
	case workflow.LeaseTake:
		if c.by.userID == 0 {
			return p, fmt.Errorf("%s cannot take a lease", c.by.name)
		}
		set = append(set, "claimed_by = "+arg(c.by.userID), "lease_expires_at = "+arg(now.Add(c.lease)))
	case workflow.LeaseAssign:
		set = append(set, "claimed_by = "+arg(c.assigneeID), "lease_expires_at = "+arg(now.Add(c.lease)), "assignee_id = "+arg(c.assigneeID))
		data["assignee"] = b.Assignee
	case workflow.LeaseRelease:
		set = append(set, "claimed_by = NULL", "lease_expires_at = NULL")
	}

	// The ladder.
	newTier := r.Tier
	if tr.Tier != "" && tr.Tier != r.Tier {
		newTier = tr.Tier
		set = append(set, "tier = "+arg(string(newTier)), "dispatched_from = "+arg(string(r.Tier)))
		data["tier"] = map[string]any{"from": r.Tier, "to": newTier}
	}

	// What each action records.
	stopMet := func(kind gridwarn.ClockKind) {
		record(`UPDATE ticket_clocks SET stopped_at = $3, stop_reason = 'met'
WHERE ticket_id = $1 AND kind = $2 AND stopped_at IS NULL AND breached_at IS NULL`, r.ID, string(kind), now)
	}
	callbackSet := false
	switch tr.Action {
	case workflow.ActionAccept, workflow.ActionHandoffAccept:
		set = append(set, "accepted_at = "+arg(now))
		stopMet(gridwarn.ClockAccept)
	case workflow.ActionHandoffDecline:
		set = append(set, "closed_at = "+arg(now))
	case workflow.ActionHandOff:
		if c.handoff == nil {
			return p, fmt.Errorf("hand_off without a hand-off")
		}
		planHandOff(c, record, data)
		note = c.handoff.Note
	case workflow.ActionHandoffReply:
		if c.reply == nil {
			return p, fmt.Errorf("handoff_reply without a reply")
		}
		planHandoffReply(c, record, data)
	case workflow.ActionContact:
		ct := b.Contact
		record(`
INSERT INTO ticket_contacts (ticket_id, author_id, author, kind, held_at, place, attendees, summary)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, c.by.userID, c.by.username, ct.Kind, ct.HeldAt, ct.Place, nonNilStrings(ct.Attendees), ct.Summary)
		data["contact"] = ct
		stopMet(gridwarn.ClockContact)
	case workflow.ActionNote:
		vis := b.Visibility
		if vis == "" {
			vis = "internal"
		}
		record(`INSERT INTO ticket_notes (ticket_id, author_id, author, visibility, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.ID, c.by.userID, c.by.username, vis, b.Note, now)
		data["visibility"] = vis
	case workflow.ActionReply:
		o := *b.Outcome
		o.RecordedAt = &now
		enc, _ := json.Marshal(o)
		set = append(set, "outcome = "+arg(enc))
		data["outcome"] = o
		for _, d := range o.PromisedPayments {
			record(`INSERT INTO payment_followups (ticket_id, due_on, tier) VALUES ($1, $2, $3) ON CONFLICT (ticket_id, due_on) DO NOTHING`,
				r.ID, d, string(r.Tier))
		}
		if tr.From == gridwarn.StatusReferred {
			// Settled with the outside body: its clocks stop.
			record(`UPDATE ticket_clocks SET stopped_at = $2, stop_reason = 'settled'
WHERE ticket_id = $1 AND kind IN ('body_accept', 'body_decide') AND stopped_at IS NULL`, r.ID, now)
		}
		// A court's commission learns the union's result (the court reads
		// it as an update of its commission).
		var amount *float64
		if o.AmountRecoveredCNY > 0 {
			amount = &o.AmountRecoveredCNY
		}
		record(`
INSERT INTO referral_updates (referral_id, ticket_id, kind, on_date, amount_cny, note, author, created_at)
SELECT id, ticket_id, 'mediation_result', ($2::timestamptz AT TIME ZONE 'Asia/Shanghai')::date, $3, $4, $5, $2
FROM referrals WHERE ticket_id = $1 AND direction = 'in'`, r.ID, now, amount, o.Result, c.by.username)
	case workflow.ActionReview:
		set = append(set, "callback = NULL") // a new review needs a new call-back
		callbackSet = true
		data["approved"] = *b.Approved
	case workflow.ActionCallback:
		enc, _ := json.Marshal(map[string]any{"satisfied": *b.Satisfied, "at": now, "by": c.by.username, "note": b.Note})
		if *b.Satisfied {
			set = append(set, "callback = "+arg(enc))
		} else {
			set = append(set, "callback = NULL")
		}
		callbackSet = true
		data["satisfied"] = *b.Satisfied
	case workflow.ActionClose:
		set = append(set, "closed_at = "+arg(now))
	case workflow.ActionRefer:
		enc, _ := json.Marshal(map[string]any{"body": b.Body, "body_name": c.target.name, "reference": b.Reference,
			"collective": c.target.collective, "at": now})
		set = append(set, "referral = "+arg(enc))
		data["body"], data["reference"] = b.Body, b.Reference
		planRefer(c, record, data)
	case workflow.ActionBodyUpdate:
		if c.update == nil {
			return p, fmt.Errorf("body_update without an update")
		}
		planBodyUpdate(c, record, data)
	case workflow.ActionMerge:
		set = append(set, "merged_into = "+arg(b.Into))
		data["into"] = b.Into
	case workflow.ActionExtend:
		if !b.DueAt.After(now) {
			return p, gridwarn.Invalid("invalid extension", gridwarn.FieldError{Field: "due_at", Rule: "future", Message: "must be in the future"})
		}
		set = append(set, "extended_due_at = "+arg(*b.DueAt))
		record(`
UPDATE ticket_clocks SET due_at = $2, remind_at = least(remind_at, $2)
WHERE ticket_id = $1 AND kind = 'resolve' AND stopped_at IS NULL AND breached_at IS NULL`, r.ID, *b.DueAt)
		data["due_at"] = b.DueAt
	case workflow.ActionFollowUp:
		record(`UPDATE payment_followups SET paid = $3, recorded_at = $4, recorded_by = $5 WHERE ticket_id = $1 AND due_on = $2`,
			r.ID, b.FollowUpOn, *b.Paid, now, c.by.username)
		data["follow_up_on"], data["paid"] = b.FollowUpOn, *b.Paid
	}
	if tr.From == gridwarn.StatusClosed && tr.To != gridwarn.StatusClosed {
		set = append(set, "closed_at = NULL")
	}
	if tr.Reopen && !callbackSet {
		set = append(set, "callback = NULL")
	}
	for _, s := range []string{b.Reason, b.Instructions} {
		if s != "" {
			note = s
		}
	}

	if c.seq != 0 {
		set = append(set, "history_seq = "+arg(c.seq))
	}
	firstClocks := tr.From == gridwarn.StatusNew && tr.To == gridwarn.StatusDispatched && newTier == r.Tier
	var fresh []gridwarn.ClockPlan
	if firstClocks && c.clocks != nil {
		// A new ticket runs no clock yet: the ones its dispatch starts
		// (below) are all it will run, so the row takes their earliest
		// due time in this same row version, and the clocks' trigger
		// (migration 00026) finds it right instead of writing the ticket
		// a second time.
		fresh = c.clocks.Clocks(newTier, r.Level, now)
		var due *time.Time
		for _, k := range fresh {
			if due == nil || k.DueAt.Before(*due) {
				d := k.DueAt
				due = &d
			}
		}
		if due != nil {
			set = append(set, "next_due_at = "+arg(*due))
		}
	}
	p.add("UPDATE tickets SET "+strings.Join(set, ", ")+" WHERE id = $1", args...)
	p.stmts = append(p.stmts, records...)
	var enc []byte
	if len(data) > 0 {
		enc, _ = json.Marshal(data)
	}
	if c.seq != 0 {
		p.add(`
INSERT INTO ticket_history (ticket_id, at, actor, kind, from_value, to_value, note, data, seq, status, level, tier) VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8, $9, $10, $11, $12)`,
			r.ID, now, c.by.name, string(tr.Action), string(tr.From), string(tr.To), note, enc, c.seq, string(tr.To), string(r.Level), string(newTier))
	} else {
		p.add(`
INSERT INTO ticket_history (ticket_id, at, actor, kind, from_value, to_value, note, data) VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8)`,
			r.ID, now, c.by.name, string(tr.Action), string(tr.From), string(tr.To), note, enc)
	}

	// Clocks and notifications. A ticket that enters a tier's queue — one
	// dispatched from new, moved on the ladder or reopened — starts that
	// tier's clocks; a closed or merged ticket stops them all.
	var st stmts
	switch {
	case tr.Action == workflow.ActionBodyUpdate:
		n := noteOf(r.Ticket, now)
		n.Note = c.update.req.Kind
		enqueue(&st, gridwarn.TopicReferralUpdate, n)
	case tr.To == gridwarn.StatusClosed || tr.To == gridwarn.StatusMerged:
		p.add(`UPDATE ticket_clocks SET stopped_at = $2, stop_reason = 'closed' WHERE ticket_id = $1 AND stopped_at IS NULL`, r.ID, now)
	case firstClocks:
		addClocks(&st, r.ID, newTier, now, fresh)
	case newTier != r.Tier || tr.Reopen:
		startClocks(&st, c.clocks, r.ID, newTier, r.Level, now, string(tr.Action), false)
		n := noteOf(r.Ticket, now)
		n.Tier = newTier
		topic := gridwarn.TopicReopened
		if newTier != r.Tier {
			n.FromTier = string(r.Tier)
			topic = gridwarn.TopicTierChanged
			if newTier.Rank() < r.Tier.Rank() {
				topic = gridwarn.TopicReturned
			}
		}
		enqueue(&st, topic, n)
	}
	return p, p.take(&st)
}

// take appends the statements collected in st (clocks, notifications) to
// the plan, or returns why st could not be built.
func (p *plan) take(st *stmts) error {
	if st.err != nil {
		return st.err
	}
	for _, q := range st.b.QueuedQueries {
		p.add(q.SQL, q.Arguments...)
	}
	return nil
}

// applyAndRead writes a plan in tx and reads the ticket back, in one round
// trip.
func applyAndRead(ctx context.Context, tx pgx.Tx, p plan) (*gridwarn.Ticket, error) {
	var b pgx.Batch
	for _, s := range p.stmts {
		b.Queue(s.sql, s.args...)
	}
	b.Queue("SELECT "+ticketColumns+" FROM tickets t WHERE t.id = $1", p.ticketID)
	res := tx.SendBatch(ctx, &b)
	defer res.Close()
	for range p.stmts {
		if _, err := res.Exec(); err != nil {
			return nil, err
		}
	}
	rows, err := res.Query()
	if err != nil {
		return nil, err
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTicket)
	if err != nil {
		return nil, err
	}
	return &t, res.Close()
}

// applyPlans writes the plans in tx in one round trip.
func applyPlans(ctx context.Context, tx pgx.Tx, plans ...plan) error {
	return applyPlansAfter(ctx, tx, nil, plans...)
}

// applyPlansAfter writes the statements first and then the plans in tx,
// in one round trip.
func applyPlansAfter(ctx context.Context, tx pgx.Tx, first []stmt, plans ...plan) error {
	var b pgx.Batch
	for _, s := range first {
		b.Queue(s.sql, s.args...)
	}
	for _, s := range foldPlans(plans) {
		b.Queue(s.sql, s.args...)
	}
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &b).Close()
}

// systemStep takes action a on a locked ticket as the system (the engine or
// the sweeper) through the workflow: it returns the plan, or the
// workflow's refusal (an *workflow.IllegalError when the ticket's state
// does not admit the action).
func systemStep(r ticketRow, a workflow.Action, by changer, in workflow.Input, now time.Time, clocks gridwarn.ClockPlanner, note string, data map[string]any) (plan, error) {
	c, err := systemChange(r, a, by, in, now, clocks, note, data)
	if err != nil {
		return plan{}, err
	}
	return planChange(c)
}

// systemChange is systemStep's decision, before it is planned.
func systemChange(r ticketRow, a workflow.Action, by changer, in workflow.Input, now time.Time, clocks gridwarn.ClockPlanner, note string, data map[string]any) (change, error) {
	in.Tier, in.DispatchedBy = r.Tier, gridwarn.Tier(r.dispatchedBy)
	tr, err := workflow.Decide(r.Status, a, workflow.Actor{System: true}, in)
	if err != nil {
		return change{}, err
	}
	return change{r: r, tr: tr, by: by, now: now, clocks: clocks, note: note, data: data,
		body: gridwarn.ActionBody{Reason: note}}, nil
}
