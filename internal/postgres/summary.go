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
	return db.saveRevision(ctx, "weekly_summaries", "week", s.UnitCode, s.ISO, by, rebuild, s, &s.Revision, func() gridwarn.Notification {
		// Announced through the outbox: NATS gridwarn.summaries.weekly.<unit> and the webhooks.
		return gridwarn.Notification{Topic: gridwarn.TopicSummaryWeekly,
			Subject: gridwarn.SummarySubject(gridwarn.SummaryKindWeekly, s.UnitCode), Payload: gridwarn.NewSummaryPayload(s)}
	})
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
