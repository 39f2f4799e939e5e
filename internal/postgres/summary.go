package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// SaveWeeklySummary stores a summary. A scheduled build (rebuild false)
// stores revision 1 only if no summary of that unit and week exists — so
// several replicas build it once — and reports whether it stored it. A
// rebuild stores the next revision and keeps the old ones.
func (db *DB) SaveWeeklySummary(ctx context.Context, s *gridwarn.WeeklySummary, by string, rebuild bool) (bool, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return false, err
	}
	var q string
	if rebuild {
		q = `
INSERT INTO weekly_summaries (unit_code, week, revision, built_by, data)
SELECT $1, $2, coalesce(max(revision), 0) + 1, $3, $4 FROM weekly_summaries WHERE unit_code = $1 AND week = $2
RETURNING revision`
	} else {
		q = `
INSERT INTO weekly_summaries (unit_code, week, revision, built_by, data) VALUES ($1, $2, 1, $3, $4)
ON CONFLICT DO NOTHING RETURNING revision`
	}
	stored := false
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var rev int
		err := tx.QueryRow(ctx, q, s.UnitCode, s.ISO, by, data).Scan(&rev)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		s.Revision, stored = rev, true
		if _, err := tx.Exec(ctx, `UPDATE weekly_summaries SET data = jsonb_set(data, '{revision}', to_jsonb($4::int)) WHERE unit_code = $1 AND week = $2 AND revision = $3`,
			s.UnitCode, s.ISO, rev, rev); err != nil {
			return err
		}
		// Announce it through the outbox: NATS gridwarn.summaries.weekly.<unit> and the webhooks.
		var st stmts
		queueNotification(&st, gridwarn.Notification{Topic: gridwarn.TopicSummaryWeekly,
			Subject: gridwarn.SummarySubject(gridwarn.SummaryKindWeekly, s.UnitCode), Payload: gridwarn.NewSummaryPayload(s)}, "", s.UnitCode)
		return st.send(ctx, tx)
	})
	if err != nil {
		return false, translate(err, "weekly summary")
	}
	return stored, nil
}

// LatestSummaryWeek is the latest week a unit has a stored summary of ("" if none).
func (db *DB) LatestSummaryWeek(ctx context.Context) (string, error) {
	var w *string
	err := db.pool.QueryRow(ctx, `SELECT max(week) FROM weekly_summaries`).Scan(&w)
	if err != nil || w == nil {
		return "", translate(err, "summaries")
	}
	return *w, nil
}

// WeeklySummary returns the latest revision of a unit's week, if v sees the unit.
func (db *DB) WeeklySummary(ctx context.Context, v gridwarn.Visibility, unit, week string) (*gridwarn.WeeklySummary, error) {
	if !v.All && !(v.CountyCode == gridwarn.CountyOf(unit) && (v.TownCode == "" || v.TownCode == unit) && len(v.GridCodes) == 0) {
		return nil, gridwarn.Errorf(gridwarn.ENOTFOUND, "summary not found")
	}
	var data []byte
	err := db.read.QueryRow(ctx, `SELECT data FROM weekly_summaries WHERE unit_code = $1 AND week = $2 ORDER BY revision DESC LIMIT 1`, unit, week).Scan(&data)
	if err != nil {
		return nil, translate(err, "summary")
	}
	var s gridwarn.WeeklySummary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// WeeklySummaries lists the stored summaries v sees, newest week first.
func (db *DB) WeeklySummaries(ctx context.Context, v gridwarn.Visibility, limit int) ([]gridwarn.SummaryInfo, error) {
	var w where
	unitWhere(&w, v)
	rows, _ := db.read.Query(ctx, `SELECT DISTINCT ON (s.week, s.unit_code) s.unit_code, s.week, s.revision, s.built_at, s.built_by
FROM weekly_summaries s`+w.sql()+` ORDER BY s.week DESC, s.unit_code, s.revision DESC LIMIT `+w.arg(limitOrDefault(limit)), w.args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.SummaryInfo, error) {
		var i gridwarn.SummaryInfo
		return i, r.Scan(&i.UnitCode, &i.Week, &i.Revision, &i.BuiltAt, &i.BuiltBy)
	})
	return out, translate(err, "summaries")
}
