package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/workflow"
)

// SweepResult says what a sweep did.
type SweepResult struct {
	Reminders   int
	Escalations int
	Overdue     int
	Lapsed      int // claims whose lease lapsed
	Erased      int // closed tickets whose reporters' identities were erased
	// ErasedCallers: 12351 cases whose callers were erased (closed on the
	// call, or their ticket closed, before the retention period).
	ErasedCallers int
}

// maxSweep bounds one sweep; the next one continues.
const maxSweep = 1000

// Sweep sends the reminders and handles the breaches that are due at now:
// a breached clock of a ticket's current tier escalates the ticket one tier
// (whose clocks start now) or, at the county, marks it overdue and tells
// leadership. Each clock is taken with FOR UPDATE SKIP LOCKED and marked in
// the same transaction, so several sweepers (replicas) handle every breach
// exactly once; breaches are taken in deadline order, so a sweeper that was
// down catches up in order.
func (db *DB) Sweep(ctx context.Context, now time.Time) (SweepResult, error) {
	var res SweepResult
	p := db.clockPlanner()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		res.Lapsed, err = db.releaseLapsedLeases(ctx, tx, now)
		return err
	})
	if err != nil {
		return res, translate(err, "sweep leases")
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		res.Erased, err = eraseIdentities(ctx, tx, now.Add(-db.identityRetention()), now)
		if err != nil {
			return err
		}
		res.ErasedCallers, err = eraseCallers(ctx, tx, now.Add(-db.identityRetention()))
		return err
	})
	if err != nil {
		return res, translate(err, "sweep identities")
	}
	n, err := db.remind(ctx, now)
	res.Reminders = n
	if err != nil {
		return res, translate(err, "sweep reminders")
	}
	for i := 0; i < maxSweep; i++ {
		var done bool
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			var e, o bool
			var err error
			done, e, o, err = breachOne(ctx, tx, p, now)
			if e {
				res.Escalations++
			}
			if o {
				res.Overdue++
			}
			return err
		})
		if err != nil {
			return res, translate(err, "sweep breaches")
		}
		if done {
			break
		}
	}
	return res, nil
}

// sweptClock is a clock with its ticket, locked for a sweep.
type sweptClock struct {
	id, ticket int64
	tier       gridwarn.Tier
	kind       gridwarn.ClockKind
	due        time.Time
}

func (db *DB) remind(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		const q = `
WITH due AS (
    SELECT c.id FROM ticket_clocks c
    WHERE c.stopped_at IS NULL AND c.reminded_at IS NULL AND c.remind_at <= $1 AND c.due_at > $1
    ORDER BY c.remind_at, c.id LIMIT $2
    FOR UPDATE SKIP LOCKED)
UPDATE ticket_clocks c SET reminded_at = $1 FROM due WHERE c.id = due.id
RETURNING c.id, c.ticket_id, c.tier, c.kind, c.due_at`
		rows, _ := tx.Query(ctx, q, now, maxSweep)
		cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sweptClock, error) {
			var c sweptClock
			err := r.Scan(&c.id, &c.ticket, &c.tier, &c.kind, &c.due)
			return c, err
		})
		if err != nil {
			return err
		}
		for _, c := range cs {
			t, err := lockTicket(ctx, tx, c.ticket)
			if err != nil {
				return err
			}
			if err := sweepHistory(ctx, tx, c.ticket, gridwarn.HistoryReminder, "", string(c.tier), c); err != nil {
				return err
			}
			note := noteOf(t, now)
			note.Tier, note.Clock, note.DueAt = c.tier, string(c.kind), &c.due
			var st stmts
			enqueue(&st, gridwarn.TopicReminder, note)
			if err := st.send(ctx, tx); err != nil {
				return err
			}
		}
		n = len(cs)
		return nil
	})
	return n, err
}

// breachOne handles the earliest breached clock, if any: the breach is
// recorded and announced, and a ticket below the county is escalated one
// tier through the workflow (actor System), like a tier head's escalation.
// The workflow refuses to escalate a referred ticket (it is with an outside
// body): its breach is recorded and announced, and its tier stays.
func breachOne(ctx context.Context, tx pgx.Tx, p gridwarn.ClockPlanner, now time.Time) (done, escalated, overdue bool, err error) {
	const q = `
SELECT c.id, c.ticket_id, c.tier, c.kind, c.due_at FROM ticket_clocks c
WHERE c.stopped_at IS NULL AND c.breached_at IS NULL AND c.due_at <= $1
ORDER BY c.due_at, c.id LIMIT 1
FOR UPDATE SKIP LOCKED`
	var c sweptClock
	err = tx.QueryRow(ctx, q, now).Scan(&c.id, &c.ticket, &c.tier, &c.kind, &c.due)
	if err == pgx.ErrNoRows {
		return true, false, false, nil
	}
	if err != nil {
		return false, false, false, err
	}
	r, err := lockTicketRow(ctx, tx, c.ticket)
	if err != nil {
		return false, false, false, err
	}
	t := r.Ticket
	if _, err := tx.Exec(ctx, `UPDATE ticket_clocks SET breached_at = $2 WHERE id = $1`, c.id, now); err != nil {
		return false, false, false, err
	}
	if !t.Status.Open() || c.tier != t.Tier {
		// Closed meanwhile, or the ticket already left this tier: nothing to escalate.
		_, err := tx.Exec(ctx, `UPDATE ticket_clocks SET stopped_at = $2, stop_reason = 'stale' WHERE id = $1`, c.id, now)
		return false, false, false, err
	}
	if err := sweepHistory(ctx, tx, c.ticket, gridwarn.HistoryBreached, "", string(c.tier), c); err != nil {
		return false, false, false, err
	}
	note := noteOf(t, now)
	note.Clock, note.DueAt = string(c.kind), &c.due
	var st stmts
	enqueue(&st, gridwarn.TopicBreach, note)
	if err := st.send(ctx, tx); err != nil {
		return false, false, false, err
	}
	if c.kind.Outside() {
		// An outside body is late: recorded and announced; the union's
		// tiers are not (no escalation, not overdue).
		return false, false, false, nil
	}
	if t.Tier == gridwarn.TierCounty {
		if t.OverdueAt != nil {
			return false, false, false, nil
		}
		if _, err := tx.Exec(ctx, `UPDATE tickets SET overdue_at = $2, updated_at = $2, version = version + 1 WHERE id = $1`, t.ID, now); err != nil {
			return false, false, false, err
		}
		return false, false, true, sweepHistory(ctx, tx, t.ID, gridwarn.HistoryOverdue, "", "", c)
	}
	pl, err := systemStep(r, workflow.ActionEscalate, sweeperChanger, workflow.Input{}, now, p,
		fmt.Sprintf("the %s time limit of the %s tier passed", c.kind, c.tier),
		map[string]any{"clock": c.kind, "clock_tier": c.tier, "due_at": c.due})
	var illegal *workflow.IllegalError
	if errors.As(err, &illegal) {
		return false, false, false, nil // referred: the breach is recorded, the tier head decides
	}
	if err != nil {
		return false, false, false, err
	}
	return false, true, false, applyPlans(ctx, tx, pl)
}

// lockTicketRow locks a ticket with the columns the workflow needs.
func lockTicketRow(ctx context.Context, tx pgx.Tx, id int64) (ticketRow, error) {
	var r ticketRow
	err := tx.QueryRow(ctx, "SELECT "+ticketColumns+`, t.claimed_by, coalesce(t.dispatched_from, ''), t.callback
FROM tickets t WHERE t.id = $1 FOR UPDATE OF t`, id).Scan(append(ticketDest(&r.Ticket), &r.claimedByID, &r.dispatchedBy, &r.callback)...)
	return r, err
}

func lockTicket(ctx context.Context, tx pgx.Tx, id int64) (gridwarn.Ticket, error) {
	rows, _ := tx.Query(ctx, "SELECT "+ticketColumns+" FROM tickets t WHERE t.id = $1 FOR UPDATE", id)
	return pgx.CollectExactlyOneRow(rows, scanTicket)
}

func noteOf(t gridwarn.Ticket, now time.Time) ticketNote {
	return ticketNote{TicketID: t.ID, Enterprise: t.Enterprise, Category: t.Category, Level: t.Level, Tier: t.Tier,
		CountyCode: t.CountyCode, TownCode: t.TownCode, At: now}
}

func sweepHistory(ctx context.Context, tx pgx.Tx, ticket int64, kind gridwarn.HistoryKind, from, to string, c sweptClock) error {
	data, _ := json.Marshal(map[string]any{"clock": c.kind, "clock_tier": c.tier, "due_at": c.due})
	_, err := tx.Exec(ctx, `
INSERT INTO ticket_history (ticket_id, actor, kind, from_value, to_value, data) VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6)`,
		ticket, gridwarn.ActorSweeper, string(kind), from, to, data)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

func scanClock(r pgx.CollectableRow) (gridwarn.Clock, error) {
	var c gridwarn.Clock
	err := r.Scan(&c.Tier, &c.Kind, &c.StartedAt, &c.RemindAt, &c.DueAt, &c.RemindedAt, &c.BreachedAt, &c.StoppedAt, &c.StopReason)
	return c, err
}
