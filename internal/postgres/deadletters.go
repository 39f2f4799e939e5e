package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var _ gridwarn.DeadLetterService = (*DB)(nil)

// ListDeadLetters returns up to f.Limit dead letters, newest first.
// A dead letter belongs to the county of its subject (gridwarn.events.<county>…);
// only a county-wide Visibility sees dead letters.
func (db *DB) ListDeadLetters(ctx context.Context, v gridwarn.Visibility, f gridwarn.DeadLetterFilter) ([]gridwarn.DeadLetter, error) {
	var w where
	switch {
	case v.All:
	case v.CountyCode == "" || v.TownCode != "" || len(v.GridCodes) > 0 || v.ReporterID != "":
		w.conds = append(w.conds, "false")
	default:
		w.add("split_part(subject, '.', 3) = %s", v.CountyCode)
	}
	if f.Reason != "" {
		w.add("reason = %s", string(f.Reason))
	}
	if f.AfterID > 0 {
		w.add("id < %s", f.AfterID)
	}
	if f.NotReplayed {
		w.conds = append(w.conds, "replayed_at IS NULL")
	}
	q := `SELECT id, stream, stream_seq, subject, coalesce(msg_id, ''), coalesce(event_id, ''), reason, detail, raw,
       deliveries, attempts, created_at, replayed_at FROM dead_letters` + w.sql() + " ORDER BY id DESC LIMIT " + w.arg(limitOrDefault(f.Limit))
	rows, err := db.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, translate(err, "list dead letters")
	}
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gridwarn.DeadLetter, error) {
		var (
			d   gridwarn.DeadLetter
			seq int64
		)
		err := row.Scan(&d.ID, &d.Stream, &seq, &d.Subject, &d.MsgID, &d.EventID, &d.Reason, &d.Detail, &d.Raw,
			&d.Deliveries, &d.Attempts, &d.CreatedAt, &d.ReplayedAt)
		d.StreamSeq = uint64(seq)
		return d, err
	})
	if err != nil {
		return nil, translate(err, "list dead letters")
	}
	return ds, nil
}

// MarkReplayed records that a dead letter was re-driven. Mark it before
// publishing the replay: a replay that fails again clears the mark
// (migration 00019) and must find it set.
func (db *DB) MarkReplayed(ctx context.Context, id int64) error {
	_, err := db.pool.Exec(ctx, "UPDATE dead_letters SET replayed_at = now() WHERE id = $1", id)
	return translate(err, "dead letter")
}

// UnmarkReplayed takes the mark back when the replay could not be
// published.
func (db *DB) UnmarkReplayed(ctx context.Context, id int64) error {
	_, err := db.pool.Exec(ctx, "UPDATE dead_letters SET replayed_at = NULL WHERE id = $1", id)
	return translate(err, "dead letter")
}

// ReplayMsgID is the Nats-Msg-Id of a dead letter's replay: unique per
// attempt (so JetStream's duplicate window does not drop the next
// replay), and recognised by the database, which folds a replay that
// fails again into the same row.
func ReplayMsgID(d gridwarn.DeadLetter) string {
	return fmt.Sprintf("replay-%d-%d", d.ID, d.Attempts+1)
}
