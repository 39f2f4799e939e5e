package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// planner holds the clock planner (the rules in force); it can be swapped
// while the service runs (a rules reload).
type planner struct{ p gridwarn.ClockPlanner }

// SetClockPlanner sets what gives a ticket its clocks when it enters a
// tier. Without one, tickets get no clocks.
func (db *DB) SetClockPlanner(p gridwarn.ClockPlanner) { db.planner.Store(&planner{p}) }

func (db *DB) clockPlanner() gridwarn.ClockPlanner {
	if h := db.planner.Load(); h != nil {
		return h.p
	}
	return nil
}

// stmts collects statements of a transaction to send in one round trip.
// err is the first statement that could not be queued (an invalid
// notification): send returns it, and the transaction fails.
type stmts struct {
	b   pgx.Batch
	err error
}

func (s *stmts) add(sql string, args ...any) { s.b.Queue(sql, args...) }

// send runs the collected statements in tx, in order.
func (s *stmts) send(ctx context.Context, tx pgx.Tx) error {
	if s.err != nil {
		return s.err
	}
	if s.b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &s.b).Close()
}

// startClocks queues the start of tier's clocks for a ticket and, unless
// the ticket was just opened, the stop of the clocks still running from
// its earlier tier.
func startClocks(st *stmts, p gridwarn.ClockPlanner, ticketID int64, tier gridwarn.Tier, level gridwarn.Level, start time.Time, stopReason string, opened bool) {
	if !opened {
		st.add(`UPDATE ticket_clocks SET stopped_at = $2, stop_reason = $3 WHERE ticket_id = $1 AND stopped_at IS NULL`,
			ticketID, start, stopReason)
	}
	if p == nil {
		return
	}
	addClocks(st, ticketID, tier, start, p.Clocks(tier, level, start))
}

// addClocks inserts the planned clocks of a ticket entering tier at start.
func addClocks(st *stmts, ticketID int64, tier gridwarn.Tier, start time.Time, plans []gridwarn.ClockPlan) {
	for _, c := range plans {
		st.add(`INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			ticketID, string(tier), string(c.Kind), start, c.RemindAt, c.DueAt)
	}
}
