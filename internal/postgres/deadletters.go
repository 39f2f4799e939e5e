package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var _ gridwarn.DeadLetterService = (*DB)(nil)

// ListDeadLetters returns up to f.Limit dead letters, newest first.
func (db *DB) ListDeadLetters(ctx context.Context, f gridwarn.DeadLetterFilter) ([]gridwarn.DeadLetter, error) {
	var (
		where []string
		args  []any
	)
	if f.Reason != "" {
		args = append(args, string(f.Reason))
		where = append(where, fmt.Sprintf("reason = $%d", len(args)))
	}
	if f.AfterID > 0 {
		args = append(args, f.AfterID)
		where = append(where, fmt.Sprintf("id < $%d", len(args)))
	}
	q := `SELECT id, stream, stream_seq, subject, coalesce(msg_id, ''), coalesce(event_id, ''), reason, detail, raw,
       deliveries, created_at FROM dead_letters`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limitOrDefault(f.Limit))
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "list dead letters")
	}
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gridwarn.DeadLetter, error) {
		var (
			d   gridwarn.DeadLetter
			seq int64
		)
		err := row.Scan(&d.ID, &d.Stream, &seq, &d.Subject, &d.MsgID, &d.EventID, &d.Reason, &d.Detail, &d.Raw,
			&d.Deliveries, &d.CreatedAt)
		d.StreamSeq = uint64(seq)
		return d, err
	})
	if err != nil {
		return nil, translate(err, "list dead letters")
	}
	return ds, nil
}
