package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var _ gridwarn.TicketService = (*DB)(nil)

const ticketColumns = `t.id, t.enterprise, t.category, t.level, t.tier, t.status, t.event_count, t.first_event_at,
t.last_event_at, t.opened_at, t.updated_at, t.closed_at, t.rules_version, t.version, t.county_code,
coalesce(t.town_code, ''), coalesce(t.grid_code, ''), t.overdue_at`

func scanTicket(row pgx.CollectableRow) (gridwarn.Ticket, error) {
	var t gridwarn.Ticket
	err := row.Scan(&t.ID, &t.Enterprise, &t.Category, &t.Level, &t.Tier, &t.Status, &t.EventCount, &t.FirstEventAt,
		&t.LastEventAt, &t.OpenedAt, &t.UpdatedAt, &t.ClosedAt, &t.RulesVersion, &t.Version, &t.CountyCode,
		&t.TownCode, &t.GridCode, &t.OverdueAt)
	return t, err
}

// ListTickets returns up to f.Limit tickets that v sees and f selects,
// newest first.
func (db *DB) ListTickets(ctx context.Context, v gridwarn.Visibility, f gridwarn.TicketFilter) ([]gridwarn.Ticket, error) {
	var w where
	w.tickets(v)
	if f.Status != "" {
		w.add("t.status = %s", string(f.Status))
	}
	if f.Level != "" {
		w.add("t.level = %s", string(f.Level))
	}
	if f.Category != "" {
		w.add("t.category = %s", string(f.Category))
	}
	if f.Enterprise != "" {
		w.add("t.enterprise = %s", f.Enterprise)
	}
	if f.AfterID > 0 {
		w.add("t.id < %s", f.AfterID)
	}
	q := "SELECT " + ticketColumns + " FROM tickets t" + w.sql() + " ORDER BY t.id DESC LIMIT " + w.arg(limitOrDefault(f.Limit))
	rows, err := db.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, translate(err, "list tickets")
	}
	ts, err := pgx.CollectRows(rows, scanTicket)
	if err != nil {
		return nil, translate(err, "list tickets")
	}
	return ts, nil
}

// Ticket returns a ticket with its events and history.
func (db *DB) Ticket(ctx context.Context, v gridwarn.Visibility, id int64) (*gridwarn.TicketDetail, error) {
	var d gridwarn.TicketDetail
	w := where{}
	w.add("t.id = %s", id)
	w.tickets(v)
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, "SELECT "+ticketColumns+" FROM tickets t"+w.sql(), w.args...)
		t, err := pgx.CollectExactlyOneRow(rows, scanTicket)
		if err != nil {
			return err
		}
		d.Ticket = t
		if d.Events, err = ticketEvents(ctx, tx, id); err != nil {
			return err
		}
		if d.History, err = ticketHistory(ctx, tx, id); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `
SELECT tier, kind, started_at, remind_at, due_at, reminded_at, breached_at, stopped_at, coalesce(stop_reason, '')
FROM ticket_clocks WHERE ticket_id = $1 ORDER BY id`, id)
		d.Clocks, err = pgx.CollectRows(rows, scanClock)
		return err
	})
	if err != nil {
		return nil, translate(err, "ticket")
	}
	return &d, nil
}

func ticketEvents(ctx context.Context, tx pgx.Tx, ticketID int64) ([]gridwarn.StoredEvent, error) {
	const q = `
SELECT id, enterprise, category, occurred_at, reported_at, workers_involved, amount_owed_cny::float8,
       months_in_arrears::float8, collective, coalesce(action, ''), coalesce(summary, ''), reporter_kind,
       coalesce(reporter_id, ''), ticket_id, level, subject, stream_seq, received_at, decision
FROM events WHERE ticket_id = $1 ORDER BY occurred_at, id`
	rows, _ := tx.Query(ctx, q, ticketID)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (gridwarn.StoredEvent, error) {
		var (
			e    gridwarn.StoredEvent
			kind *string
			rid  string
			seq  int64
		)
		err := row.Scan(&e.ID, &e.Enterprise, &e.Category, &e.OccurredAt, &e.ReportedAt, &e.WorkersInvolved,
			&e.AmountOwedCNY, &e.MonthsInArrears, &e.Collective, &e.Action, &e.Summary, &kind,
			&rid, &e.TicketID, &e.Level, &e.Subject, &seq, &e.ReceivedAt, &e.Decision)
		if kind != nil {
			e.Reporter = &gridwarn.Reporter{Kind: gridwarn.ReporterKind(*kind), ID: rid}
		}
		e.StreamSeq = uint64(seq)
		return e, err
	})
}

func ticketHistory(ctx context.Context, tx pgx.Tx, ticketID int64) ([]gridwarn.HistoryEntry, error) {
	const q = `
SELECT id, ticket_id, at, actor, kind, coalesce(event_id, ''), coalesce(from_value, ''), coalesce(to_value, ''),
       coalesce(note, ''), data
FROM ticket_history WHERE ticket_id = $1 ORDER BY id`
	rows, _ := tx.Query(ctx, q, ticketID)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (gridwarn.HistoryEntry, error) {
		var h gridwarn.HistoryEntry
		err := row.Scan(&h.ID, &h.TicketID, &h.At, &h.Actor, &h.Kind, &h.EventID, &h.From, &h.To, &h.Note, &h.Data)
		return h, err
	})
}

// CloseTicket closes an open ticket that v sees and records who closed it
// and why.
func (db *DB) CloseTicket(ctx context.Context, v gridwarn.Visibility, id int64, actor, note string) (*gridwarn.Ticket, error) {
	var t gridwarn.Ticket
	w := where{}
	w.add("t.id = %s", id)
	w.tickets(v)
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, "SELECT t.status FROM tickets t"+w.sql()+" FOR UPDATE", w.args...).Scan(&status); err != nil {
			return err
		}
		const q = `
UPDATE tickets t SET status = 'closed', closed_at = now(), updated_at = now(), version = version + 1
WHERE id = $1 AND status NOT IN ('closed', 'merged')
RETURNING ` + ticketColumns
		rows, _ := tx.Query(ctx, q, id)
		var err error
		t, err = pgx.CollectExactlyOneRow(rows, scanTicket)
		if err == pgx.ErrNoRows {
			return gridwarn.Errorf(gridwarn.ECONFLICT, "ticket %d is already %s", id, status)
		}
		if err != nil {
			return err
		}
		const h = `
INSERT INTO ticket_history (ticket_id, actor, kind, from_value, to_value, note)
VALUES ($1, $2, 'closed', $3, 'closed', $4)`
		if _, err = tx.Exec(ctx, h, id, actor, status, note); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE ticket_clocks SET stopped_at = now(), stop_reason = 'closed' WHERE ticket_id = $1 AND stopped_at IS NULL`, id)
		return err
	})
	if err != nil {
		return nil, translate(err, "ticket")
	}
	return &t, nil
}

func limitOrDefault(n int) int {
	if n <= 0 {
		return 50
	}
	return n
}

// OpenTicketCounts counts the open tickets by level.
func (db *DB) OpenTicketCounts(ctx context.Context) (map[gridwarn.Level]int, error) {
	const q = `SELECT level, count(*) FROM tickets WHERE status NOT IN ('closed', 'merged') GROUP BY level`
	rows, err := db.pool.Query(ctx, q)
	if err != nil {
		return nil, translate(err, "count tickets")
	}
	out := make(map[gridwarn.Level]int, len(gridwarn.Levels))
	var (
		level string
		n     int
	)
	_, err = pgx.ForEachRow(rows, []any{&level, &n}, func() error {
		out[gridwarn.Level(level)] = n
		return nil
	})
	return out, translate(err, "count tickets")
}

// HandDown moves a ticket one tier down with instructions, restarting the
// lower tier's clocks, and announces it to that tier.
func (db *DB) HandDown(ctx context.Context, v gridwarn.Visibility, id int64, actor, instructions string) (*gridwarn.Ticket, error) {
	p := db.clockPlanner()
	var out gridwarn.Ticket
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var w where
		w.add("t.id = %s", id)
		w.tickets(v)
		rows, _ := tx.Query(ctx, "SELECT "+ticketColumns+" FROM tickets t"+w.sql()+" FOR UPDATE", w.args...)
		t, err := pgx.CollectExactlyOneRow(rows, scanTicket)
		if err != nil {
			return err
		}
		switch {
		case t.Status == gridwarn.StatusClosed:
			return gridwarn.Errorf(gridwarn.ECONFLICT, "ticket %d is closed", id)
		case t.Tier == gridwarn.TierEnterprise:
			return gridwarn.Errorf(gridwarn.ECONFLICT, "ticket %d is already at the bottom of the ladder", id)
		case !v.All && (len(v.GridCodes) > 0 || (t.Tier == gridwarn.TierCounty && v.TownCode != "")):
			return gridwarn.Errorf(gridwarn.EFORBIDDEN, "only the %s tier may hand this ticket down", t.Tier)
		}
		lower := gridwarn.Tiers[t.Tier.Rank()-2]
		var now time.Time
		if err := tx.QueryRow(ctx, `UPDATE tickets SET tier = $2, updated_at = now(), version = version + 1 WHERE id = $1 RETURNING now()`,
			id, string(lower)).Scan(&now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
INSERT INTO ticket_history (ticket_id, actor, kind, from_value, to_value, note) VALUES ($1, $2, 'handed_down', $3, $4, $5)`,
			id, actor, string(t.Tier), string(lower), instructions); err != nil {
			return err
		}
		if err := startClocks(ctx, tx, p, id, lower, t.Level, now, "handed_down"); err != nil {
			return err
		}
		n := noteOf(t, now)
		n.Tier, n.FromTier = lower, string(t.Tier)
		if err := enqueue(ctx, tx, "ticket.returned", n); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, "SELECT "+ticketColumns+" FROM tickets t WHERE t.id = $1", id)
		out, err = pgx.CollectExactlyOneRow(rows, scanTicket)
		return err
	})
	if err != nil {
		return nil, translate(err, "ticket")
	}
	return &out, nil
}
