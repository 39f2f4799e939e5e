package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Histories returns, in two queries for the whole batch, the recent
// signals (since, newest first) and the last closing per category of each
// enterprise in codes.
func (db *DB) Histories(ctx context.Context, codes []string, since time.Time) (map[string]gridwarn.History, error) {
	return histories(ctx, db.pool, codes, since)
}

// histories reads the histories through q: the pool, or the transaction
// of a batch that holds its enterprises' locks (ApplyDecided).
func histories(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, codes []string, since time.Time) (map[string]gridwarn.History, error) {
	out := make(map[string]gridwarn.History, len(codes))
	rows, _ := q.Query(ctx, `
SELECT enterprise, id, category, occurred_at, coalesce(workers_involved, 0), level
FROM events WHERE enterprise = ANY($1) AND occurred_at >= $2
ORDER BY occurred_at DESC`, codes, since)
	var (
		ent string
		s   gridwarn.Signal
	)
	if _, err := pgx.ForEachRow(rows, []any{&ent, &s.EventID, &s.Category, &s.OccurredAt, &s.Workers, &s.Level}, func() error {
		h := out[ent]
		h.Signals = append(h.Signals, s)
		out[ent] = h
		return nil
	}); err != nil {
		return nil, translate(err, "history")
	}
	rows, _ = q.Query(ctx, `
SELECT enterprise, category, max(closed_at) FROM tickets
WHERE enterprise = ANY($1) AND status = 'closed' AND closed_at >= $2
GROUP BY enterprise, category`, codes, since)
	var (
		cat    gridwarn.Category
		closed time.Time
	)
	if _, err := pgx.ForEachRow(rows, []any{&ent, &cat, &closed}, func() error {
		h := out[ent]
		if h.LastClosed == nil {
			h.LastClosed = map[gridwarn.Category]time.Time{}
		}
		h.LastClosed[cat] = closed
		out[ent] = h
		return nil
	}); err != nil {
		return nil, translate(err, "history")
	}
	return out, nil
}

// ReplayEvent is a stored event with its enterprise, for replaying
// decisions under other rules.
type ReplayEvent struct {
	Event      gridwarn.Event
	Enterprise gridwarn.Enterprise
	Decision   gridwarn.Decision // as stored
}

// EventsSince streams the events received since a moment, oldest first,
// with their enterprises and stored decisions.
func (db *DB) EventsSince(ctx context.Context, since time.Time, yield func(ReplayEvent) error) error {
	rows, err := db.pool.Query(ctx, `
SELECT ev.id, ev.enterprise, ev.category, ev.occurred_at, ev.reported_at, ev.workers_involved, ev.amount_owed_cny::float8,
       ev.months_in_arrears::float8, ev.collective, coalesce(ev.action, ''), coalesce(ev.summary, ''), ev.decision,
       coalesce(ev.owner_status, ''), `+enterpriseColumns+`
FROM events ev JOIN enterprises e ON e.credit_code = ev.enterprise
WHERE ev.received_at >= $1 ORDER BY ev.occurred_at, ev.id`, since)
	if err != nil {
		return translate(err, "events")
	}
	defer rows.Close()
	for rows.Next() {
		var r ReplayEvent
		var en = &r.Enterprise
		if err := rows.Scan(&r.Event.ID, &r.Event.Enterprise, &r.Event.Category, &r.Event.OccurredAt, &r.Event.ReportedAt,
			&r.Event.WorkersInvolved, &r.Event.AmountOwedCNY, &r.Event.MonthsInArrears, &r.Event.Collective, &r.Event.Action,
			&r.Event.Summary, &r.Decision, &r.Event.OwnerStatus,
			&en.CreditCode, &en.Name, &en.IndustryCode, &en.Ownership, &en.Headcount, &en.HasUnion, &en.HasMediationCommittee,
			&en.ComplianceGrade, &en.RegisteredCapitalCNY, &en.KeyEnterprise, &en.TownCode, &en.GridCode, &en.UpdatedAt); err != nil {
			return translate(err, "events")
		}
		if err := yield(r); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "events")
}
