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
coalesce(t.town_code, ''), coalesce(t.grid_code, ''), t.overdue_at,
coalesce((SELECT u.username FROM users u WHERE u.id = t.claimed_by), ''), t.lease_expires_at, coalesce(t.merged_into, 0), coalesce(t.relapse_of, 0)`

func scanTicket(row pgx.CollectableRow) (gridwarn.Ticket, error) {
	var t gridwarn.Ticket
	err := row.Scan(ticketDest(&t)...)
	return t, err
}

// ticketDest lists the scan destinations of ticketColumns.
func ticketDest(t *gridwarn.Ticket) []any {
	return []any{&t.ID, &t.Enterprise, &t.Category, &t.Level, &t.Tier, &t.Status, &t.EventCount, &t.FirstEventAt,
		&t.LastEventAt, &t.OpenedAt, &t.UpdatedAt, &t.ClosedAt, &t.RulesVersion, &t.Version, &t.CountyCode,
		&t.TownCode, &t.GridCode, &t.OverdueAt, &t.ClaimedBy, &t.LeaseExpiresAt, &t.MergedInto, &t.RelapseOf}
}

// ListTickets returns up to f.Limit tickets that v sees and f selects,
// newest first.
func (db *DB) ListTickets(ctx context.Context, v gridwarn.Visibility, f gridwarn.TicketFilter) ([]gridwarn.Ticket, error) {
	var w where
	w.tickets(v)
	if f.Status != "" {
		w.add("t.status = %s", string(f.Status))
	}
	if f.Open {
		w.conds = append(w.conds, openTicket)
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
		if d.Clocks, err = pgx.CollectRows(rows, scanClock); err != nil {
			return err
		}
		return db.workRecords(ctx, tx, &d)
	})
	if err != nil {
		return nil, translate(err, "ticket")
	}
	if v.ReporterID != "" {
		reportersView(&d, v.ReporterID)
		return &d, nil
	}
	key, err := db.privacyKey(ctx, db.pool)
	if err != nil {
		return nil, translate(err, "ticket")
	}
	pseudonymize(key, &d)
	return &d, nil
}

// workRecords loads a ticket's notes, contacts, outcome, referral,
// follow-ups and legal clocks.
func (db *DB) workRecords(ctx context.Context, tx pgx.Tx, d *gridwarn.TicketDetail) error {
	rows, _ := tx.Query(ctx, `SELECT id, author, visibility, body, created_at FROM ticket_notes WHERE ticket_id = $1 ORDER BY id`, d.ID)
	var err error
	if d.Notes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.Note, error) {
		var n gridwarn.Note
		return n, r.Scan(&n.ID, &n.Author, &n.Visibility, &n.Body, &n.CreatedAt)
	}); err != nil {
		return err
	}
	rows, _ = tx.Query(ctx, `SELECT id, author, kind, held_at, place, attendees, summary, created_at FROM ticket_contacts WHERE ticket_id = $1 ORDER BY id`, d.ID)
	if d.Contacts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.ContactEntry, error) {
		var c gridwarn.ContactEntry
		return c, r.Scan(&c.ID, &c.Author, &c.Kind, &c.HeldAt, &c.Place, &c.Attendees, &c.Summary, &c.CreatedAt)
	}); err != nil {
		return err
	}
	rows, _ = tx.Query(ctx, `SELECT due_on::text, tier, paid, recorded_at FROM payment_followups WHERE ticket_id = $1 ORDER BY due_on`, d.ID)
	if d.FollowUps, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.FollowUp, error) {
		var f gridwarn.FollowUp
		return f, r.Scan(&f.DueOn, &f.Tier, &f.Paid, &f.RecordedAt)
	}); err != nil {
		return err
	}
	var (
		accepted *time.Time
		now      time.Time
	)
	if err := tx.QueryRow(ctx, `SELECT outcome, referral, accepted_at, now() FROM tickets WHERE id = $1`, d.ID).Scan(&d.Outcome, &d.Referral, &accepted, &now); err != nil {
		return err
	}
	if d.Referrals, err = ticketReferrals(ctx, tx, d.ID); err != nil {
		return err
	}
	settled := d.Outcome != nil && d.Outcome.Result != "referred"
	d.Legal = db.legal.clocks(accepted, d.FirstEventAt, settled, now)
	return nil
}

// reportersView keeps of a ticket what the grid worker whose reports fed
// it may see: its state, tier and shareable notes — never internal notes,
// the contact log, the history or other reporters' identities.
func reportersView(d *gridwarn.TicketDetail, reporter string) {
	notes := d.Notes[:0]
	for _, n := range d.Notes {
		if n.Visibility == "shareable" {
			notes = append(notes, n)
		}
	}
	d.Notes = notes
	d.Contacts, d.History, d.Outcome, d.Referral, d.FollowUps, d.Legal = nil, nil, nil, nil, nil, nil
	d.Referrals = nil
	for i := range d.Events {
		if r := d.Events[i].Reporter; r != nil && r.ID != reporter {
			d.Events[i].Reporter = &gridwarn.Reporter{Kind: r.Kind}
		}
	}
	d.ClaimedBy = ""
}

func ticketEvents(ctx context.Context, tx pgx.Tx, ticketID int64) ([]gridwarn.StoredEvent, error) {
	const q = `
SELECT id, enterprise, category, occurred_at, reported_at, workers_involved, amount_owed_cny::float8,
       months_in_arrears::float8, collective, coalesce(action, ''), coalesce(summary, ''), reporter_kind,
       coalesce(reporter_id, ''), ticket_id, level, subject, stream_seq, received_at, decision, coalesce(owner_status, '')
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
			&rid, &e.TicketID, &e.Level, &e.Subject, &seq, &e.ReceivedAt, &e.Decision, &e.OwnerStatus)
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

func limitOrDefault(n int) int {
	if n <= 0 {
		return 50
	}
	return n
}

// OpenTicketCounts counts the open tickets by level.
func (db *DB) OpenTicketCounts(ctx context.Context) (map[gridwarn.Level]int, error) {
	q := `SELECT level, count(*) FROM tickets WHERE status IN ` + openStatusesSQL + ` GROUP BY level`
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
