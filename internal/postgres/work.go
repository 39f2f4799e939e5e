package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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
	rows, _ := tx.Query(ctx, "SELECT "+ticketColumns+`, t.claimed_by, coalesce(t.dispatched_from, ''), t.callback
FROM tickets t`+w.sql()+lock, w.args...)
	_, err := pgx.ForEachRow(rows, append(ticketDest(&r.Ticket), &r.claimedByID, &r.dispatchedBy, &r.callback), func() error { return nil })
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
func workflowFacts(p *gridwarn.Principal, r ticketRow, now time.Time) (workflow.Actor, workflow.Input) {
	leased := r.claimedByID != nil && r.LeaseExpiresAt != nil && r.LeaseExpiresAt.After(now)
	who := workflow.Actor{
		Role: p.Role, TierHead: p.TierHead, AtTicketTier: gridwarn.WorksAtTier(p.Scope, r.Ticket),
		Claimer: leased && *r.claimedByID == p.ID,
	}
	in := workflow.Input{Tier: r.Tier, DispatchedBy: gridwarn.Tier(r.dispatchedBy), Leased: leased, CallbackRecorded: r.callback != nil}
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
		var now time.Time
		if err := tx.QueryRow(ctx, "SELECT now()").Scan(&now); err != nil {
			return err
		}
		who, in := workflowFacts(p, r, now)
		for _, a := range workflow.Allowed(workflow.State(r.Status), who, in) {
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

func (db *DB) act(ctx context.Context, tx pgx.Tx, p *gridwarn.Principal, r ticketRow, req gridwarn.ActionRequest) (*gridwarn.Ticket, error) {
	var now time.Time
	if err := tx.QueryRow(ctx, "SELECT now()").Scan(&now); err != nil {
		return nil, err
	}
	b := req.Body
	who, in := workflowFacts(p, r, now)
	in.Approved, in.Satisfied, in.Paid = b.Approved, b.Satisfied, b.Paid
	a := workflow.Action(req.Action)
	if err := workflow.CheckBody(a, b.Has); err != nil {
		return nil, err
	}
	tr, err := workflow.Decide(workflow.State(r.Status), a, who, in)
	if err != nil {
		return nil, err
	}

	set := []string{"status = $2", "version = version + 1", "updated_at = now()"}
	args := []any{r.ID, string(tr.To)}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	note := b.Note
	data := map[string]any{}

	// The lease.
	switch tr.Lease {
	case workflow.LeaseTake:
		set = append(set, "claimed_by = "+arg(p.ID), "lease_expires_at = "+arg(now.Add(db.leaseDuration())))
	case workflow.LeaseAssign:
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username = $1 AND role = 'mediator' AND NOT disabled`, b.Assignee).Scan(&id)
		if err == pgx.ErrNoRows {
			return nil, gridwarn.Invalid("unknown mediator", gridwarn.FieldError{Field: "assignee", Rule: "exists", Message: "is not a mediator"})
		} else if err != nil {
			return nil, err
		}
		set = append(set, "claimed_by = "+arg(id), "lease_expires_at = "+arg(now.Add(db.leaseDuration())), "assignee_id = "+arg(id))
		data["assignee"] = b.Assignee
	case workflow.LeaseRelease:
		set = append(set, "claimed_by = NULL", "lease_expires_at = NULL")
	}

	// The ladder.
	newTier := r.Tier
	if tr.Tier != "" && tr.Tier != r.Tier {
		newTier = tr.Tier
		set = append(set, "tier = "+arg(string(newTier)), "dispatched_from = "+arg(string(r.Tier)))
	}

	// What each action records.
	switch a {
	case workflow.ActionAccept:
		set = append(set, "accepted_at = now()")
		if err := stopClock(ctx, tx, r.ID, gridwarn.ClockAccept, now); err != nil {
			return nil, err
		}
	case workflow.ActionContact:
		c := b.Contact
		if _, err := tx.Exec(ctx, `
INSERT INTO ticket_contacts (ticket_id, author_id, author, kind, held_at, place, attendees, summary)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, p.ID, p.Username, c.Kind, c.HeldAt, c.Place, nonNilStrings(c.Attendees), c.Summary); err != nil {
			return nil, err
		}
		data["contact"] = c
		if err := stopClock(ctx, tx, r.ID, gridwarn.ClockContact, now); err != nil {
			return nil, err
		}
	case workflow.ActionNote:
		vis := b.Visibility
		if vis == "" {
			vis = "internal"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ticket_notes (ticket_id, author_id, author, visibility, body) VALUES ($1, $2, $3, $4, $5)`,
			r.ID, p.ID, p.Username, vis, b.Note); err != nil {
			return nil, err
		}
		data["visibility"] = vis
	case workflow.ActionReply:
		o := *b.Outcome
		o.RecordedAt = &now
		enc, _ := json.Marshal(o)
		set = append(set, "outcome = "+arg(enc))
		data["outcome"] = o
		for _, d := range o.PromisedPayments {
			if _, err := tx.Exec(ctx, `
INSERT INTO payment_followups (ticket_id, due_on, tier) VALUES ($1, $2, $3) ON CONFLICT (ticket_id, due_on) DO NOTHING`,
				r.ID, d, string(r.Tier)); err != nil {
				return nil, err
			}
		}
	case workflow.ActionReview:
		set = append(set, "callback = NULL") // a new review needs a new call-back
		data["approved"] = *b.Approved
	case workflow.ActionCallback:
		enc, _ := json.Marshal(map[string]any{"satisfied": *b.Satisfied, "at": now, "by": p.Username, "note": b.Note})
		if *b.Satisfied {
			set = append(set, "callback = "+arg(enc))
		} else {
			set = append(set, "callback = NULL")
		}
		data["satisfied"] = *b.Satisfied
	case workflow.ActionClose:
		set = append(set, "closed_at = now()")
	case workflow.ActionRefer:
		enc, _ := json.Marshal(map[string]any{"body": b.Body, "reference": b.Reference, "at": now})
		set = append(set, "referral = "+arg(enc))
		data["body"], data["reference"] = b.Body, b.Reference
	case workflow.ActionMerge:
		if err := checkMergeTarget(ctx, tx, r.Ticket, b.Into); err != nil {
			return nil, err
		}
		set = append(set, "merged_into = "+arg(b.Into))
		data["into"] = b.Into
	case workflow.ActionExtend:
		if !b.DueAt.After(now) {
			return nil, gridwarn.Invalid("invalid extension", gridwarn.FieldError{Field: "due_at", Rule: "future", Message: "must be in the future"})
		}
		set = append(set, "extended_due_at = "+arg(*b.DueAt))
		if _, err := tx.Exec(ctx, `
UPDATE ticket_clocks SET due_at = $2, remind_at = least(remind_at, $2)
WHERE ticket_id = $1 AND kind = 'resolve' AND stopped_at IS NULL AND breached_at IS NULL`, r.ID, *b.DueAt); err != nil {
			return nil, err
		}
		data["due_at"] = b.DueAt
	case workflow.ActionFollowUp:
		tag, err := tx.Exec(ctx, `
UPDATE payment_followups SET paid = $3, recorded_at = now(), recorded_by = $4 WHERE ticket_id = $1 AND due_on = $2`,
			r.ID, b.FollowUpOn, *b.Paid, p.Username)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 0 {
			return nil, gridwarn.Invalid("no such follow-up", gridwarn.FieldError{Field: "follow_up_on", Rule: "exists", Message: "is not a promised payment date of this ticket"})
		}
		data["follow_up_on"], data["paid"] = b.FollowUpOn, *b.Paid
	}
	if tr.Reopen || (tr.From == workflow.StateClosed && tr.To != workflow.StateClosed) {
		set = append(set, "closed_at = NULL")
		if !slices.ContainsFunc(set, func(s string) bool { return strings.HasPrefix(s, "callback = ") }) {
			set = append(set, "callback = NULL")
		}
	}
	for _, s := range []string{b.Reason, b.Instructions} {
		if s != "" {
			note = s
		}
	}

	if _, err := tx.Exec(ctx, "UPDATE tickets SET "+strings.Join(set, ", ")+" WHERE id = $1", args...); err != nil {
		return nil, err
	}
	var enc []byte
	if len(data) > 0 {
		enc, _ = json.Marshal(data)
	}
	from, to := string(tr.From), string(tr.To)
	if newTier != r.Tier {
		data["tier"] = map[string]any{"from": r.Tier, "to": newTier}
		enc, _ = json.Marshal(data)
	}
	if _, err := tx.Exec(ctx, `
INSERT INTO ticket_history (ticket_id, actor, kind, from_value, to_value, note, data) VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7)`,
		r.ID, "user:"+p.Username, req.Action, from, to, note, enc); err != nil {
		return nil, err
	}

	// Clocks and notifications.
	switch {
	case a == workflow.ActionClose || tr.To == workflow.StateMerged:
		if _, err := tx.Exec(ctx, `UPDATE ticket_clocks SET stopped_at = $2, stop_reason = 'closed' WHERE ticket_id = $1 AND stopped_at IS NULL`, r.ID, now); err != nil {
			return nil, err
		}
	case newTier != r.Tier || tr.Reopen:
		var st stmts
		startClocks(&st, db.clockPlanner(), r.ID, newTier, r.Level, now, string(a), false)
		n := noteOf(r.Ticket, now)
		n.Tier = newTier
		topic := "ticket.tier_changed"
		if newTier != r.Tier {
			n.FromTier = string(r.Tier)
			if newTier.Rank() < r.Tier.Rank() {
				topic = "ticket.returned"
			}
		} else {
			topic = "ticket.reopened"
		}
		enqueue(&st, topic, n)
		if err := st.send(ctx, tx); err != nil {
			return nil, err
		}
	}
	rows, _ := tx.Query(ctx, "SELECT "+ticketColumns+" FROM tickets t WHERE t.id = $1", r.ID)
	t, err := pgx.CollectExactlyOneRow(rows, scanTicket)
	return &t, err
}

func stopClock(ctx context.Context, tx pgx.Tx, ticket int64, kind gridwarn.ClockKind, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE ticket_clocks SET stopped_at = $3, stop_reason = 'met'
WHERE ticket_id = $1 AND kind = $2 AND stopped_at IS NULL AND breached_at IS NULL`, ticket, string(kind), now)
	return err
}

// checkMergeTarget: a duplicate merges into another open ticket of the
// same enterprise.
func checkMergeTarget(ctx context.Context, tx pgx.Tx, t gridwarn.Ticket, into int64) error {
	var ent, status string
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
	case status == "closed" || status == "merged":
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
	w.conds = append(w.conds, "t.status IN ('new', 'dispatched', 'accepted', 'in_progress', 'replied', 'reviewed', 'referred')")
	switch p.Scope.Kind {
	case gridwarn.ScopeCounty:
		w.conds = append(w.conds, "t.tier = 'county'")
	case gridwarn.ScopeTown:
		w.conds = append(w.conds, "t.tier IN ('town', 'enterprise')")
	default:
		w.conds = append(w.conds, "false")
	}
}

const queueSelect = "SELECT " + ticketColumns + `, d.due FROM tickets t
LEFT JOIN LATERAL (SELECT min(c.due_at) AS due FROM ticket_clocks c WHERE c.ticket_id = t.id AND c.stopped_at IS NULL) d ON true`

const queueOrder = " ORDER BY t.level_rank DESC, coalesce(d.due, 'infinity') ASC, t.id ASC"

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
		w.add("t.claimed_by = %s AND t.lease_expires_at > now()", p.ID)
	}
	if f.Open {
		w.conds = append(w.conds, "(t.claimed_by IS NULL OR t.lease_expires_at <= now())")
	}
	if k := f.After; k != nil {
		due := "infinity"
		if k.Due != nil {
			due = k.Due.UTC().Format(time.RFC3339Nano)
		}
		w.add("(-t.level_rank, coalesce(d.due, 'infinity'), t.id) > (%s::int, %s::timestamptz, %s::bigint)", -k.LevelRank, due, k.ID)
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
		w.conds = append(w.conds, "t.status IN ('dispatched', 'accepted', 'in_progress', 'referred')",
			"(t.claimed_by IS NULL OR t.lease_expires_at <= now())")
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

// releaseLapsedLeases returns tickets whose lease lapsed to the queue and
// says so in their history.
func releaseLapsedLeases(ctx context.Context, tx pgx.Tx, now time.Time) (int, error) {
	rows, _ := tx.Query(ctx, `
WITH lapsed AS (
    SELECT t.id, u.username FROM tickets t JOIN users u ON u.id = t.claimed_by
    WHERE t.lease_expires_at <= $1 ORDER BY t.lease_expires_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED)
UPDATE tickets t SET claimed_by = NULL, lease_expires_at = NULL, version = version + 1, updated_at = now()
FROM lapsed WHERE t.id = lapsed.id
RETURNING t.id, lapsed.username`, now, maxSweep)
	type lapse struct {
		id   int64
		user string
	}
	ls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (lapse, error) {
		var l lapse
		return l, r.Scan(&l.id, &l.user)
	})
	if err != nil {
		return 0, err
	}
	for _, l := range ls {
		if _, err := tx.Exec(ctx, `
INSERT INTO ticket_history (ticket_id, actor, kind, from_value, note) VALUES ($1, $2, 'lease_lapsed', $3, 'the claim lapsed; the ticket is back in the queue')`,
			l.id, gridwarn.ActorSweeper, l.user); err != nil {
			return 0, err
		}
	}
	return len(ls), nil
}
