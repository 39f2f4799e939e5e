package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

var _ gridwarn.WorkService = (*DB)(nil)

// defaultLease is how long a claim holds a ticket without activity.
const defaultLease = 30 * time.Minute

// ticketRow is a locked ticket with the columns the workflow needs.
type ticketRow struct {
	gridwarn.Ticket
	claimedByID  *int64
	dispatchedBy string
	callback     []byte
	// repliedBy is the actor of the ticket's last reply line ("user:name"),
	// "" before any reply: the separation of duties needs it.
	repliedBy string
	// handoffID is set on a hand-off's linked case (the receiving county's).
	handoffID *string
	// historySeq is the ticket's feed sequence as locked (read only by
	// the engine's batch, which numbers its own history lines).
	historySeq int64
}

func lockForAction(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility, id int64) (ticketRow, error) {
	return readForAction(ctx, tx, v, id, " FOR UPDATE OF t")
}

// readForAction reads a ticket v sees with the columns the workflow needs
// (lock: a locking clause or "").
func readForAction(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility, id int64, lock string) (ticketRow, error) {
	var w where
	w.add("t.id = %s", id)
	w.tickets(v)
	var r ticketRow
	rows, _ := tx.Query(ctx, "SELECT "+ticketColumns+`, t.claimed_by, coalesce(t.dispatched_from, ''), t.callback,
       coalesce((SELECT h.actor FROM ticket_history h WHERE h.ticket_id = t.id AND h.kind = 'reply' ORDER BY h.id DESC LIMIT 1), ''),
       t.handoff_id::text
FROM tickets t`+w.sql()+lock, w.args...)
	_, err := pgx.ForEachRow(rows, append(ticketDest(&r.Ticket), &r.claimedByID, &r.dispatchedBy, &r.callback, &r.repliedBy, &r.handoffID), func() error { return nil })
	if err != nil {
		return r, err
	}
	if r.ID == 0 {
		return r, pgx.ErrNoRows
	}
	return r, nil
}

// workflowFacts are who p is to the workflow on ticket r at now, and the
// ticket's facts it decides on (without an action's body).
func (db *DB) workflowFacts(p *gridwarn.Principal, r ticketRow, now time.Time) (workflow.Actor, workflow.Input) {
	leased := r.claimedByID != nil && r.LeaseExpiresAt != nil && r.LeaseExpiresAt.After(now)
	who := workflow.Actor{
		Role: p.Role, TierHead: p.TierHead, AtTicketTier: gridwarn.WorksAtTier(p.Scope, r.Ticket),
		Claimer: leased && *r.claimedByID == p.ID,
		Replier: r.repliedBy != "" && r.repliedBy == personChanger(p).name,
	}
	in := workflow.Input{Tier: r.Tier, DispatchedBy: gridwarn.Tier(r.dispatchedBy), Leased: leased, CallbackRecorded: r.callback != nil,
		AllowSelfReview: db.selfReview}
	return who, in
}

// Allowed lists the actions p may take on a ticket v sees, now: the list a
// refused action's 409 gives, for pages that offer only those.
func (db *DB) Allowed(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, id int64) ([]string, error) {
	var out []string
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		r, err := readForAction(ctx, tx, v, id, "")
		if err != nil {
			return err
		}
		who, in := db.workflowFacts(p, r, db.now())
		if r.handoffID != nil {
			in.LinkedCase = true
			if err := tx.QueryRow(ctx, `SELECT state = 'sent' FROM handoffs WHERE id = $1`, *r.handoffID).Scan(&in.Linked); err != nil {
				return err
			}
		}
		for _, a := range workflow.Allowed(gridwarn.Status(r.Status), who, in) {
			out = append(out, string(a))
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, "ticket")
	}
	return out, nil
}

// Act takes one step of a ticket's life for p: the ticket must be visible
// (404), at the version the caller saw (412), and the workflow must allow
// the action in its state (409, listing what is allowed now) for this
// caller (403). The step, its history line and its notifications commit
// together, and the version rises by one.
func (db *DB) Act(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, req gridwarn.ActionRequest) (*gridwarn.Ticket, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var out *gridwarn.Ticket
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		r, err := lockForAction(ctx, tx, v, req.TicketID)
		if err != nil {
			return err
		}
		if r.Version != req.IfMatch {
			return gridwarn.Errorf(gridwarn.EPRECONDITION, "ticket %d is at version %d, not %d: someone changed it; reload", r.ID, r.Version, req.IfMatch)
		}
		out, err = db.act(ctx, tx, p, r, req)
		return err
	})
	if err != nil {
		return nil, translate(err, "ticket")
	}
	return out, nil
}

// act decides and applies one person's step on a locked ticket: the
// workflow decides, planChange plans, applyAndRead writes (one round trip).
func (db *DB) act(ctx context.Context, tx pgx.Tx, p *gridwarn.Principal, r ticketRow, req gridwarn.ActionRequest) (*gridwarn.Ticket, error) {
	now := db.now()
	b := req.Body
	who, in := db.workflowFacts(p, r, now)
	in.Approved, in.Satisfied, in.Paid = b.Approved, b.Satisfied, b.Paid
	a := workflow.Action(req.Action)
	if a == workflow.ActionHandOff || a == workflow.ActionHandoffReply {
		return nil, gridwarn.Errorf(gridwarn.EINVALID, "%s has its own door (HandOff, the hand-off's answers)", a)
	}
	if err := workflow.CheckBody(a, b.Has); err != nil {
		return nil, err
	}
	// A hand-off's linked case: its answer is still awaited or not.
	var linked *gridwarn.Handoff
	if r.handoffID != nil {
		var err error
		if linked, err = lockHandoff(ctx, tx, *r.handoffID); err != nil {
			return nil, err
		}
		in.Linked, in.LinkedCase = linked.State == gridwarn.HandoffSent, true
	}
	tr, err := workflow.Decide(r.Status, a, who, in)
	if err != nil {
		return nil, err
	}
	c := change{r: r, tr: tr, by: personChanger(p), body: b, now: now, lease: db.leaseDuration(), clocks: db.clockPlanner()}
	// What the plan needs to know beyond the ticket.
	switch a {
	case workflow.ActionAssign:
		// Only a mediator who can work the ticket at its tier; any other
		// name gets the same answer, so that nobody learns whether a
		// username exists elsewhere.
		rows, _ := tx.Query(ctx, "SELECT "+userColumns+" FROM users u WHERE u.username = $1", b.Assignee)
		u, err := pgx.CollectExactlyOneRow(rows, scanUser)
		if err != nil && err != pgx.ErrNoRows {
			return nil, err
		}
		if err == pgx.ErrNoRows || u.Role != gridwarn.RoleMediator || u.Disabled || !gridwarn.WorksAtTier(u.Scope, r.Ticket) {
			return nil, gridwarn.Invalid("invalid assignee", gridwarn.FieldError{Field: "assignee", Rule: "works_at_tier",
				Message: "is not a mediator who works this ticket's tier"})
		}
		c.assigneeID = u.ID
	case workflow.ActionMerge:
		if err := checkMergeTarget(ctx, tx, r.Ticket, b.Into); err != nil {
			return nil, err
		}
	case workflow.ActionRefer:
		if c.target, err = lookupReferralTarget(ctx, tx, r.Ticket, b.Body, b.BodyName); err != nil {
			return nil, err
		}
	case workflow.ActionFollowUp:
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM payment_followups WHERE ticket_id = $1 AND due_on = $2)`, r.ID, b.FollowUpOn).Scan(&ok); err != nil {
			return nil, err
		}
		if !ok {
			return nil, gridwarn.Invalid("no such follow-up", gridwarn.FieldError{Field: "follow_up_on", Rule: "exists", Message: "is not a promised payment date of this ticket"})
		}
	}
	pl, err := planChange(c)
	if err != nil {
		return nil, err
	}
	t, err := applyAndRead(ctx, tx, pl)
	if err != nil || linked == nil {
		return t, err
	}
	return t, db.followLinked(ctx, tx, linked, a, tr, c.by, b, now)
}

// checkMergeTarget: a duplicate merges into another open ticket of the
// same enterprise.
func checkMergeTarget(ctx context.Context, tx pgx.Tx, t gridwarn.Ticket, into int64) error {
	var ent string
	var status gridwarn.Status
	err := tx.QueryRow(ctx, `SELECT enterprise, status FROM tickets WHERE id = $1`, into).Scan(&ent, &status)
	bad := func(msg string) error {
		return gridwarn.Invalid("invalid merge", gridwarn.FieldError{Field: "into", Rule: "merge", Message: msg})
	}
	switch {
	case err == pgx.ErrNoRows || (err == nil && ent != t.Enterprise):
		return bad("must be another ticket of the same enterprise")
	case err != nil:
		return err
	case into == t.ID:
		return bad("a ticket cannot be merged into itself")
	case !status.Open():
		return bad("the target ticket is not open")
	}
	return nil
}

func (db *DB) leaseDuration() time.Duration {
	if db.lease > 0 {
		return db.lease
	}
	return defaultLease
}

// queueWhere limits w to the actionable tickets of p's unit: the county's
// county-tier tickets for a county-wide scope, a town's town- and
// enterprise-tier tickets for a town scope.
func queueWhere(w *where, p *gridwarn.Principal, v gridwarn.Visibility) {
	w.tickets(v)
	w.conds = append(w.conds, "t.status IN "+openStatusesSQL)
	switch p.Scope.Kind {
	case gridwarn.ScopeCounty:
		w.conds = append(w.conds, "t.tier = 'county'")
	case gridwarn.ScopeTown:
		w.conds = append(w.conds, "t.tier IN ('town', 'enterprise')")
	default:
		w.conds = append(w.conds, "false")
	}
}

// queueSelect reads the queue in the order of the indexes tickets_queue_town
// and tickets_queue_county (migration 00026): next_due_at is the earliest
// due time of the ticket's running clocks, kept by triggers on
// ticket_clocks, so no join and no sort.
const queueSelect = "SELECT " + ticketColumns + ", t.next_due_at FROM tickets t"

const queueOrder = " ORDER BY t.level_rank DESC, coalesce(t.next_due_at, 'infinity') ASC, t.id ASC"

// Queue lists p's unit's actionable tickets: red first, then the nearest
// deadline.
func (db *DB) Queue(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility, f gridwarn.QueueFilter) ([]gridwarn.QueueItem, error) {
	var w where
	queueWhere(&w, p, v)
	if f.Level != "" {
		w.add("t.level = %s", string(f.Level))
	}
	if f.Category != "" {
		w.add("t.category = %s", string(f.Category))
	}
	if f.TownCode != "" {
		w.add("t.town_code = %s", f.TownCode)
	}
	if f.Status != "" {
		w.add("t.status = %s", string(f.Status))
	}
	if f.Mine {
		w.add("t.claimed_by = %s AND t.lease_expires_at > %s", p.ID, db.now())
	}
	if f.Open {
		w.add("(t.claimed_by IS NULL OR t.lease_expires_at <= %s)", db.now())
	}
	if k := f.After; k != nil {
		due := "infinity"
		if k.Due != nil {
			due = k.Due.UTC().Format(time.RFC3339Nano)
		}
		w.add("(-t.level_rank, coalesce(t.next_due_at, 'infinity'), t.id) > (%s::int, %s::timestamptz, %s::bigint)", -k.LevelRank, due, k.ID)
	}
	q := queueSelect + w.sql() + queueOrder + " LIMIT " + w.arg(limitOrDefault(f.Limit))
	rows, _ := db.pool.Query(ctx, q, w.args...)
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gridwarn.QueueItem, error) {
		var it gridwarn.QueueItem
		err := row.Scan(append(ticketDest(&it.Ticket), &it.DueAt)...)
		return it, err
	})
	return items, translate(err, "queue")
}

// ClaimNext claims the first unclaimed ticket of p's queue. Concurrent
// mediators skip each other's candidates (FOR UPDATE SKIP LOCKED), so no
// two ever hold the same ticket. ENOTFOUND when the queue is empty.
func (db *DB) ClaimNext(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visibility) (*gridwarn.Ticket, error) {
	var out *gridwarn.Ticket
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var w where
		queueWhere(&w, p, v)
		w.conds = append(w.conds, "t.status IN "+claimableSQL)
		w.add("(t.claimed_by IS NULL OR t.lease_expires_at <= %s)", db.now())
		var id int64
		err := tx.QueryRow(ctx, "SELECT t.id FROM tickets t"+w.sql()+" ORDER BY t.level_rank DESC, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED", w.args...).Scan(&id)
		if err == pgx.ErrNoRows {
			return gridwarn.Errorf(gridwarn.ENOTFOUND, "nothing to claim in your queue")
		}
		if err != nil {
			return err
		}
		r, err := lockForAction(ctx, tx, v, id)
		if err != nil {
			return err
		}
		out, err = db.act(ctx, tx, p, r, gridwarn.ActionRequest{TicketID: id, Action: string(workflow.ActionClaim), IfMatch: r.Version})
		return err
	})
	if err != nil {
		return nil, translate(err, "claim")
	}
	return out, nil
}

// releaseLapsedLeases returns tickets whose lease lapsed to the queue: the
// sweeper unclaims them through the workflow, with a history line each.
func (db *DB) releaseLapsedLeases(ctx context.Context, tx pgx.Tx, now time.Time) (int, error) {
	rows, _ := tx.Query(ctx, "SELECT "+ticketColumns+`, t.claimed_by, coalesce(t.dispatched_from, ''), t.callback
FROM tickets t WHERE t.lease_expires_at <= $1 AND t.status IN `+leasedSQL+` ORDER BY t.lease_expires_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED`, now, maxSweep)
	var (
		r     ticketRow
		plans []plan
	)
	_, err := pgx.ForEachRow(rows, append(ticketDest(&r.Ticket), &r.claimedByID, &r.dispatchedBy, &r.callback), func() error {
		pl, err := systemStep(r, workflow.ActionUnclaim, sweeperChanger, workflow.Input{}, now, nil,
			"the claim lapsed; the ticket is back in the queue", map[string]any{"lapsed": r.ClaimedBy})
		if err != nil {
			return err
		}
		plans = append(plans, pl)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(plans), applyPlans(ctx, tx, plans...)
}
