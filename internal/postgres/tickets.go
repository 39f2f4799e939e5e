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
coalesce(CASE WHEN t.claimed_by IS NOT NULL THEN (SELECT u.username FROM users u WHERE u.id = t.claimed_by) END, ''), t.lease_expires_at, coalesce(t.merged_into, 0), coalesce(t.relapse_of, 0)`

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

// Ticket returns a ticket with its events, history, clocks and work
// records: one pgx batch, so one round trip, in one read-only
// repeatable-read transaction (the batch carries its BEGIN and COMMIT), so
// every part is of the same moment. The parts are read by id and dropped
// when the ticket is not visible to v.
func (db *DB) Ticket(ctx context.Context, v gridwarn.Visibility, id int64) (*gridwarn.TicketDetail, error) {
	var d gridwarn.TicketDetail
	w := where{}
	w.add("t.id = %s", id)
	w.tickets(v)
	var (
		found    bool
		accepted *time.Time
		now      time.Time
		err      error
	)
	b := &pgx.Batch{}
	b.Queue("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
	b.Queue("SELECT "+ticketColumns+", t.outcome, t.referral, t.accepted_at, now() FROM tickets t"+w.sql(), w.args...).
		Query(func(rows pgx.Rows) error {
			_, err := pgx.ForEachRow(rows, append(ticketDest(&d.Ticket), &d.Outcome, &d.Referral, &accepted, &now), func() error {
				found = true
				return nil
			})
			return err
		})
	b.Queue(ticketEventsSQL, id).Query(func(rows pgx.Rows) error { d.Events, err = pgx.CollectRows(rows, scanStoredEvent); return err })
	b.Queue(ticketHistorySQL, id).Query(func(rows pgx.Rows) error { d.History, err = pgx.CollectRows(rows, scanHistory); return err })
	b.Queue(`
SELECT tier, kind, started_at, remind_at, due_at, reminded_at, breached_at, stopped_at, coalesce(stop_reason, '')
FROM ticket_clocks WHERE ticket_id = $1 ORDER BY id`, id).
		Query(func(rows pgx.Rows) error { d.Clocks, err = pgx.CollectRows(rows, scanClock); return err })
	b.Queue(`SELECT id, author, visibility, body, created_at FROM ticket_notes WHERE ticket_id = $1 ORDER BY id`, id).
		Query(func(rows pgx.Rows) error {
			d.Notes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.Note, error) {
				var n gridwarn.Note
				return n, r.Scan(&n.ID, &n.Author, &n.Visibility, &n.Body, &n.CreatedAt)
			})
			return err
		})
	b.Queue(`SELECT id, author, kind, held_at, place, attendees, summary, created_at FROM ticket_contacts WHERE ticket_id = $1 ORDER BY id`, id).
		Query(func(rows pgx.Rows) error {
			d.Contacts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.ContactEntry, error) {
				var c gridwarn.ContactEntry
				return c, r.Scan(&c.ID, &c.Author, &c.Kind, &c.HeldAt, &c.Place, &c.Attendees, &c.Summary, &c.CreatedAt)
			})
			return err
		})
	b.Queue(`SELECT due_on::text, tier, paid, recorded_at FROM payment_followups WHERE ticket_id = $1 ORDER BY due_on`, id).
		Query(func(rows pgx.Rows) error {
			d.FollowUps, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.FollowUp, error) {
				var f gridwarn.FollowUp
				return f, r.Scan(&f.DueOn, &f.Tier, &f.Paid, &f.RecordedAt)
			})
			return err
		})
	var referred bool
	b.Queue(`SELECT EXISTS (SELECT 1 FROM referrals WHERE ticket_id = $1)`, id).QueryRow(func(row pgx.Row) error { return row.Scan(&referred) })
	b.Queue("COMMIT")
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, translate(err, "ticket")
	}
	if !found {
		return nil, translate(pgx.ErrNoRows, "ticket")
	}
	// A ticket sent to an outside body (few of them) costs one more read:
	// its referrals with their updates and the body's clocks.
	d.Referrals = []gridwarn.ReferralRecord{}
	if referred {
		if err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			d.Referrals, err = ticketReferrals(ctx, tx, id)
			return err
		}); err != nil {
			return nil, translate(err, "ticket")
		}
	}
	settled := d.Outcome != nil && d.Outcome.Result != "referred"
	d.Legal = db.legal.clocks(accepted, d.FirstEventAt, settled, now)
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

const ticketEventsSQL = `
SELECT id, enterprise, category, occurred_at, reported_at, workers_involved, amount_owed_cny::float8,
       months_in_arrears::float8, collective, coalesce(action, ''), coalesce(summary, ''), reporter_kind,
       coalesce(reporter_id, ''), ticket_id, level, subject, stream_seq, received_at, decision, coalesce(owner_status, '')
FROM events WHERE ticket_id = $1 ORDER BY occurred_at, id`

func scanStoredEvent(row pgx.CollectableRow) (gridwarn.StoredEvent, error) {
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
}

const ticketHistorySQL = `
SELECT id, ticket_id, at, actor, kind, coalesce(event_id, ''), coalesce(from_value, ''), coalesce(to_value, ''),
       coalesce(note, ''), data
FROM ticket_history WHERE ticket_id = $1 ORDER BY id`

func scanHistory(row pgx.CollectableRow) (gridwarn.HistoryEntry, error) {
	var h gridwarn.HistoryEntry
	err := row.Scan(&h.ID, &h.TicketID, &h.At, &h.Actor, &h.Kind, &h.EventID, &h.From, &h.To, &h.Note, &h.Data)
	return h, err
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
