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

// The history's two queries ($1 the enterprises' codes, $2 since). The
// signals' query also bounds received_at, the partition key of events
// ($3, receivedSince): occurred_at is not, so without it every monthly
// partition's index is probed for every enterprise of the batch — with
// two years of partitions stored, the largest cost the stored volume added
// to the engine (row 2c).
const (
	historySignalsSQL = `
SELECT enterprise, id, category, occurred_at, coalesce(workers_involved, 0), level
FROM events WHERE enterprise = ANY($1) AND occurred_at >= $2 AND received_at >= $3
ORDER BY occurred_at DESC`
	historyClosedSQL = `
SELECT enterprise, category, max(closed_at) FROM tickets
WHERE enterprise = ANY($1) AND status = 'closed' AND closed_at >= $2
GROUP BY enterprise, category`
)

// histories reads the histories through q: the pool, or the transaction
// of a batch that holds its enterprises' locks (ApplyDecided).
func histories(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, codes []string, since time.Time) (map[string]gridwarn.History, error) {
	out := make(map[string]gridwarn.History, len(codes))
	rows, _ := q.Query(ctx, historySignalsSQL, codes, since, receivedSince(since))
	if err := collectSignals(rows, out); err != nil {
		return nil, err
	}
	rows, _ = q.Query(ctx, historyClosedSQL, codes, since)
	if err := collectClosed(rows, out); err != nil {
		return nil, err
	}
	return out, nil
}

// receivedSince is the earliest received_at of an event that occurred at
// or after since: an event occurs at most gridwarn.MaxFutureLimit after it
// is received, and a second limit's margin covers the clocks of the
// broker's and the database's machines.
func receivedSince(since time.Time) time.Time { return since.Add(-2 * gridwarn.MaxFutureLimit) }

// collectSignals adds the rows of historySignalsSQL to out.
func collectSignals(rows pgx.Rows, out map[string]gridwarn.History) error {
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
		return translate(err, "history")
	}
	return nil
}

// collectClosed adds the rows of historyClosedSQL to out.
func collectClosed(rows pgx.Rows, out map[string]gridwarn.History) error {
	var (
		ent    string
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
		return translate(err, "history")
	}
	return nil
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
