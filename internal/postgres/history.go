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
	out := make(map[string]gridwarn.History, len(codes))
	rows, _ := db.pool.Query(ctx, `
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
	rows, _ = db.pool.Query(ctx, `
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
