package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The 12351 hotline's cases (gridwarn/hotline.go). The service that files
// and links them (internal/intake) publishes their events; this is their
// storage: the counter that numbers them, the case rows, and the reads, cut
// to the reader's visibility (a case about an enterprise lies where the
// enterprise lies; a held case only at the county).

// HotlineRecord is a case to store: the filing, who filed it and when, its
// due time, the county's local date that numbers it, and the status it
// starts in.
type HotlineRecord struct {
	Filing  gridwarn.HotlineFiling
	County  string
	FiledBy string
	FiledAt time.Time
	Day     time.Time // the local date of FiledAt in the county's calendar
	DueAt   time.Time
	Status  gridwarn.HotlineStatus
}

const hotlineColumns = `h.id, h.work_order, coalesce(h.platform_order, ''), h.county_code, h.status, h.intake_type, h.class,
coalesce(h.caller_name, ''), coalesce(h.caller_phone, ''), coalesce(h.enterprise, ''), coalesce(h.enterprise_name, ''),
coalesce(h.enterprise_address, ''), coalesce(h.category, ''), h.occurred_at, h.workers_involved, h.amount_owed_cny::float8,
h.collective, coalesce(h.summary, ''), h.filed_by, h.filed_at, h.due_at, h.closed_at, coalesce(h.linked_by, ''), h.linked_at,
coalesce(h.event_id, ''), h.published_at,
(SELECT ev.ticket_id FROM events ev WHERE ev.id = h.event_id LIMIT 1)`

const hotlineFrom = ` FROM hotline_cases h LEFT JOIN enterprises e ON e.credit_code = h.enterprise`

func scanHotline(r pgx.Row) (gridwarn.HotlineCase, error) {
	var c gridwarn.HotlineCase
	err := r.Scan(&c.ID, &c.WorkOrder, &c.PlatformOrder, &c.CountyCode, &c.Status, &c.IntakeType, &c.Class,
		&c.CallerName, &c.CallerPhone, &c.Enterprise, &c.EnterpriseName, &c.EnterpriseAddress, &c.Category,
		&c.OccurredAt, &c.WorkersInvolved, &c.AmountOwedCNY, &c.Collective, &c.Summary, &c.FiledBy, &c.FiledAt,
		&c.DueAt, &c.ClosedAt, &c.LinkedBy, &c.LinkedAt, &c.EventID, &c.PublishedAt, &c.TicketID)
	// The caller is shown masked, always: the full identity is read through
	// the ticket's audited identity read.
	c.CallerName, c.CallerPhone = gridwarn.MaskName(c.CallerName), gridwarn.MaskPhone(c.CallerPhone)
	return c, err
}

// hotlineScope limits w to the cases v sees.
func hotlineScope(w *where, v gridwarn.Visibility) {
	w.place(v, "h.county_code", "e.town_code", "e.grid_code")
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// InsertHotlineCase numbers and stores a case in one transaction: the
// counter row of (county, day) is created or incremented, so two operators
// filing at once get consecutive numbers — the second waits for the first
// one's row lock.
func (db *DB) InsertHotlineCase(ctx context.Context, r HotlineRecord) (gridwarn.HotlineCase, error) {
	f := r.Filing
	var out gridwarn.HotlineCase
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `
INSERT INTO hotline_counters (county_code, day, n) VALUES ($1, $2, 1)
ON CONFLICT (county_code, day) DO UPDATE SET n = hotline_counters.n + 1
RETURNING n`, r.County, r.Day.Format(time.DateOnly)).Scan(&n); err != nil {
			return err
		}
		var closedAt *time.Time
		// A forwarded case needs its event id, which needs its id: it is
		// stored held and forwarded at once below.
		first := r.Status
		switch r.Status {
		case gridwarn.HotlineClosed:
			closedAt = &r.FiledAt
		case gridwarn.HotlineForwarded:
			first = gridwarn.HotlineToIdentify
		}
		var id int64
		if err := tx.QueryRow(ctx, `
INSERT INTO hotline_cases (county_code, work_order, platform_order, status, intake_type, class, answered_on_call,
    caller_name, caller_phone, enterprise, enterprise_name, enterprise_address, category, occurred_at,
    workers_involved, amount_owed_cny, collective, summary, filed_by, filed_at, due_at, closed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
RETURNING id`,
			r.County, gridwarn.WorkOrderNumber(r.Day, n), nullable(f.PlatformOrder), string(first), string(f.IntakeType),
			string(f.Class), f.AnsweredOnCall, f.CallerName, f.CallerPhone, nullable(f.Enterprise), nullable(f.EnterpriseName),
			nullable(f.EnterpriseAddress), nullable(string(f.Category)), f.OccurredAt, f.WorkersInvolved, f.AmountOwedCNY,
			f.Collective, nullable(f.Summary), r.FiledBy, r.FiledAt, r.DueAt, closedAt).Scan(&id); err != nil {
			return err
		}
		if r.Status == gridwarn.HotlineForwarded {
			if _, err := tx.Exec(ctx, `UPDATE hotline_cases SET status = 'forwarded', event_id = $2 WHERE id = $1`, id,
				gridwarn.HotlineEventID(r.County, id)); err != nil {
				return err
			}
		}
		var err error
		out, err = scanHotline(tx.QueryRow(ctx, "SELECT "+hotlineColumns+hotlineFrom+" WHERE h.id = $1", id))
		return err
	})
	return out, translate(err, "hotline case")
}

// HotlineCaseIn returns a case v sees.
func (db *DB) HotlineCaseIn(ctx context.Context, v gridwarn.Visibility, id int64) (gridwarn.HotlineCase, error) {
	var w where
	w.add("h.id = %s", id)
	hotlineScope(&w, v)
	c, err := scanHotline(db.pool.QueryRow(ctx, "SELECT "+hotlineColumns+hotlineFrom+w.sql(), w.args...))
	return c, translate(err, "hotline case")
}

// HotlineCasesIn lists the cases v sees, newest first.
func (db *DB) HotlineCasesIn(ctx context.Context, v gridwarn.Visibility, f gridwarn.HotlineFilter) ([]gridwarn.HotlineCase, error) {
	var w where
	hotlineScope(&w, v)
	if f.Status != "" {
		w.add("h.status = %s", string(f.Status))
	}
	if f.AfterID > 0 {
		w.add("h.id < %s", f.AfterID)
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+hotlineColumns+hotlineFrom+w.sql()+" ORDER BY h.id DESC LIMIT "+w.arg(limitOrDefault(f.Limit)), w.args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.HotlineCase, error) { return scanHotline(r) })
	return out, translate(err, "hotline cases")
}

// LinkHotlineCase sets the enterprise of a case v sees and makes it
// forwarded with its event id (derived from the case id). Linking a
// forwarded case again to the same enterprise changes nothing (the caller
// publishes the same event again); to another enterprise after its event
// was published, or linking a closed case, is a conflict.
func (db *DB) LinkHotlineCase(ctx context.Context, v gridwarn.Visibility, id int64, enterprise, by string) (gridwarn.HotlineCase, error) {
	var out gridwarn.HotlineCase
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var w where
		w.add("h.id = %s", id)
		hotlineScope(&w, v)
		var status gridwarn.HotlineStatus
		var cur string
		var published *time.Time
		if err := tx.QueryRow(ctx, "SELECT h.status, coalesce(h.enterprise, ''), h.published_at"+hotlineFrom+w.sql()+" FOR UPDATE OF h",
			w.args...).Scan(&status, &cur, &published); err != nil {
			return err
		}
		switch {
		case status == gridwarn.HotlineClosed:
			return gridwarn.Errorf(gridwarn.ECONFLICT, "the case is closed: it was answered on the call and has no event")
		case published != nil && cur != enterprise:
			return gridwarn.Errorf(gridwarn.ECONFLICT, "the case's event about %s was already published", cur)
		case status == gridwarn.HotlineToIdentify || cur != enterprise:
			if _, err := tx.Exec(ctx, `
UPDATE hotline_cases SET enterprise = $2, status = 'forwarded', event_id = 'hotline-' || county_code || '-' || id,
    linked_by = $3, linked_at = $4
WHERE id = $1`, id, enterprise, by, db.now()); err != nil {
				return err
			}
		}
		var err error
		out, err = scanHotline(tx.QueryRow(ctx, "SELECT "+hotlineColumns+hotlineFrom+" WHERE h.id = $1", id))
		return err
	})
	return out, translate(err, "hotline case")
}

// HotlineCountsIn counts the cases v sees filed in [from, to).
func (db *DB) HotlineCountsIn(ctx context.Context, v gridwarn.Visibility, p gridwarn.Period, from, to time.Time) (gridwarn.HotlineCounts, error) {
	f, err := hotlineFigures(ctx, db.pool, v, from, to)
	return gridwarn.HotlineCounts{Period: p, HotlineFigures: f}, err
}

// hotlineFigures counts the cases v sees filed in [from, to).
func hotlineFigures(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, v gridwarn.Visibility, from, to time.Time) (gridwarn.HotlineFigures, error) {
	out := gridwarn.NewHotlineFigures()
	var w where
	hotlineScope(&w, v)
	w.add("h.filed_at >= %s AND h.filed_at < %s", from, to)
	rows, _ := q.Query(ctx, `SELECT h.intake_type, h.class, h.status, count(*), count(*) FILTER (WHERE h.answered_on_call),
    count(*) FILTER (WHERE h.collective), count(*) FILTER (WHERE h.platform_order IS NOT NULL)`+hotlineFrom+w.sql()+`
GROUP BY 1, 2, 3`, w.args...)
	var it gridwarn.IntakeType
	var cl gridwarn.CaseClass
	var st gridwarn.HotlineStatus
	var n, answered, collective, platform int
	_, err := pgx.ForEachRow(rows, []any{&it, &cl, &st, &n, &answered, &collective, &platform}, func() error {
		out.Total += n
		out.ByIntakeType[it] += n
		out.ByClass[cl] += n
		out.ByStatus[st] += n
		out.AnsweredOnCall += answered
		out.Collective += collective
		out.PlatformOrders += platform
		return nil
	})
	return out, translate(err, "hotline counts")
}

// MarkHotlinePublished records when the stream took a case's event (the
// first time).
func (db *DB) MarkHotlinePublished(ctx context.Context, id int64, at time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE hotline_cases SET published_at = coalesce(published_at, $2) WHERE id = $1`, id, at)
	return translate(err, "hotline case")
}

// HotlineEventFacts returns the facts of a case that its event carries
// (nothing of the caller).
func (db *DB) HotlineEventFacts(ctx context.Context, id int64) (gridwarn.HotlineCase, error) {
	c, err := scanHotline(db.pool.QueryRow(ctx, "SELECT "+hotlineColumns+hotlineFrom+" WHERE h.id = $1", id))
	return c, translate(err, "hotline case")
}

// eraseCallers erases the callers of cases that were closed on the call, or
// whose ticket closed, before cutoff (the retention of reporters'
// identities), at most maxSweep at a time.
func eraseCallers(ctx context.Context, tx pgx.Tx, cutoff time.Time) (int, error) {
	tag, err := tx.Exec(ctx, `
WITH due AS (
    SELECT h.id FROM hotline_cases h
    WHERE (h.caller_phone IS NOT NULL OR h.caller_name IS NOT NULL)
      AND (h.closed_at < $1
           OR EXISTS (SELECT 1 FROM events ev JOIN tickets t ON t.id = ev.ticket_id
                      WHERE ev.id = h.event_id AND t.status = 'closed' AND t.closed_at < $1))
    LIMIT $2 FOR UPDATE OF h SKIP LOCKED)
UPDATE hotline_cases h SET caller_name = NULL, caller_phone = NULL FROM due WHERE h.id = due.id`, cutoff, maxSweep)
	return int(tag.RowsAffected()), err
}
