package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/summary"
)

// SummaryScope says whose week a summary is: a county or one town.
type SummaryScope struct {
	Unit gridwarn.Unit
}

// scopeCond is the condition limiting tickets (alias t) to the scope.
func (s SummaryScope) cond(w *where) {
	if s.Unit.Kind == gridwarn.UnitCounty {
		w.add("t.county_code = %s", s.Unit.Code)
	} else {
		w.add("t.town_code = %s", s.Unit.Code)
	}
}

// WeekSpan is a week's bounds and its label.
type WeekSpan struct {
	Week     gridwarn.Week
	ISO      string
	From, To time.Time
}

// BuildWeeklySummary computes a scope's summary of a week from the stored
// events and ticket history (not from counters that can drift). prev is
// the week before; trend the last weeks, oldest first, ending with week.
// Events count in the week they occurred (occurred_at); tickets and steps in
// the week they happened. Every query is bounded by the week's time range,
// so the cost follows the week's data, not the whole history (indexes on
// events.occurred_at, tickets.opened_at, ticket_history.at).
func (db *DB) BuildWeeklySummary(ctx context.Context, scope SummaryScope, week, prev WeekSpan, trend []WeekSpan, tz string) (*gridwarn.WeeklySummary, error) {
	s := &gridwarn.WeeklySummary{
		Week: week.Week, ISO: week.ISO, UnitCode: scope.Unit.Code, UnitName: scope.Unit.NameZH, From: week.From, To: week.To,
		TimeZone: tz, ByLevel: map[gridwarn.Level]int{}, ByCat: map[gridwarn.Category]int{},
	}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		heads, byTown, err := headlines(ctx, tx, scope, week)
		if err != nil {
			return err
		}
		s.Headline = heads
		if s.Previous, _, err = headlines(ctx, tx, scope, prev); err != nil {
			return err
		}
		levels, err := eventCounts(ctx, tx, scope, week, s)
		if err != nil {
			return err
		}
		if scope.Unit.Kind == gridwarn.UnitCounty {
			if s.Towns, err = townLines(ctx, tx, scope, byTown, levels); err != nil {
				return err
			}
		}
		if s.TimeLimits, err = limitsMet(ctx, tx, scope, week); err != nil {
			return err
		}
		if s.Accept, err = durations(ctx, tx, scope, week, "accept"); err != nil {
			return err
		}
		if s.Resolve, err = durations(ctx, tx, scope, week, "close"); err != nil {
			return err
		}
		if s.Backlog, err = backlog(ctx, tx, scope, week); err != nil {
			return err
		}
		if s.Riskiest, err = riskiest(ctx, tx, scope, week, prev); err != nil {
			return err
		}
		if s.Red, err = redTickets(ctx, tx, scope, week); err != nil {
			return err
		}
		s.Trend, err = trendOf(ctx, tx, scope, trend)
		if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, "weekly summary")
	}
	return s, nil
}

// headlines computes the headline of the scope and of each of its towns in
// four grouped scans of the week's rows (events, opened tickets, history,
// overdue tickets), whatever the number of towns.
func headlines(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk WeekSpan) (gridwarn.Headline, map[string]gridwarn.Headline, error) {
	var w where
	scope.cond(&w)
	from, to := w.arg(wk.From), w.arg(wk.To)
	cond := w.sql()
	q := `
WITH ev AS (
    SELECT coalesce(t.town_code, '') AS town, count(*) AS n
    FROM events e JOIN tickets t ON t.id = e.ticket_id` + cond + ` AND e.occurred_at >= ` + from + ` AND e.occurred_at < ` + to + `
    GROUP BY 1),
nt AS (
    SELECT coalesce(t.town_code, '') AS town, count(*) AS n
    FROM tickets t` + cond + ` AND t.opened_at >= ` + from + ` AND t.opened_at < ` + to + `
    GROUP BY 1),
hi AS (
    SELECT coalesce(t.town_code, '') AS town,
           count(DISTINCT h.ticket_id) FILTER (WHERE h.kind = 'escalate' OR (h.kind = 'tier_changed' AND h.actor = 'system:sweeper')) AS esc,
           count(*) FILTER (WHERE h.kind = 'close') AS closed,
           coalesce(sum((h.data->'outcome'->>'amount_recovered_cny')::numeric) FILTER (WHERE h.kind = 'reply'), 0)::float8 AS money,
           coalesce(sum((h.data->'outcome'->>'workers_covered')::int) FILTER (WHERE h.kind = 'reply'), 0) AS workers,
           count(*) FILTER (WHERE h.kind = 'callback') AS cb,
           count(*) FILTER (WHERE h.kind = 'callback' AND (h.data->>'satisfied')::bool) AS sat
    FROM ticket_history h JOIN tickets t ON t.id = h.ticket_id` + cond + ` AND h.at >= ` + from + ` AND h.at < ` + to + `
    GROUP BY 1),
od AS (
    SELECT coalesce(t.town_code, '') AS town, count(*) AS n
    FROM tickets t` + cond + ` AND t.overdue_at < ` + to + ` AND (t.closed_at IS NULL OR t.closed_at >= ` + to + `) AND t.status <> 'merged'
    GROUP BY 1),
towns AS (SELECT town FROM ev UNION SELECT town FROM nt UNION SELECT town FROM hi UNION SELECT town FROM od)
SELECT towns.town, coalesce(ev.n, 0), coalesce(nt.n, 0), coalesce(hi.esc, 0), coalesce(hi.closed, 0), coalesce(od.n, 0),
       coalesce(hi.money, 0), coalesce(hi.workers, 0), coalesce(hi.cb, 0), coalesce(hi.sat, 0)
FROM towns LEFT JOIN ev USING (town) LEFT JOIN nt USING (town) LEFT JOIN hi USING (town) LEFT JOIN od USING (town)`
	rows, _ := tx.Query(ctx, q, w.args...)
	var (
		total  gridwarn.Headline
		byTown = map[string]gridwarn.Headline{}
		town   string
		h      gridwarn.Headline
	)
	_, err := pgx.ForEachRow(rows, []any{&town, &h.Events, &h.NewTickets, &h.Escalated, &h.Closed, &h.Overdue,
		&h.MoneyRecoveredCNY, &h.WorkersCovered, &h.CallBacks, &h.Satisfied}, func() error {
		byTown[town] = withSatisfaction(h)
		total.Events += h.Events
		total.NewTickets += h.NewTickets
		total.Escalated += h.Escalated
		total.Closed += h.Closed
		total.Overdue += h.Overdue
		total.MoneyRecoveredCNY += h.MoneyRecoveredCNY
		total.WorkersCovered += h.WorkersCovered
		total.CallBacks += h.CallBacks
		total.Satisfied += h.Satisfied
		return nil
	})
	if err != nil {
		return total, nil, fmt.Errorf("headline: %w", err)
	}
	return withSatisfaction(total), byTown, nil
}

func withSatisfaction(h gridwarn.Headline) gridwarn.Headline {
	if h.CallBacks > 0 {
		h.SatisfactionPct = round1(100 * float64(h.Satisfied) / float64(h.CallBacks))
	}
	return h
}

// trendOf counts events by level for each week of the trend in one scan
// of their whole span, placing each event in its week by the weeks' bounds.
func trendOf(ctx context.Context, tx pgx.Tx, scope SummaryScope, weeks []WeekSpan) ([]gridwarn.WeekLevels, error) {
	out := make([]gridwarn.WeekLevels, len(weeks))
	if len(weeks) == 0 {
		return out, nil
	}
	starts := make([]time.Time, len(weeks))
	for i, wk := range weeks {
		out[i] = gridwarn.WeekLevels{ISO: wk.ISO, ByLevel: map[gridwarn.Level]int{}}
		starts[i] = wk.From
	}
	var w where
	scope.cond(&w)
	w.add("e.occurred_at >= %s AND e.occurred_at < %s", weeks[0].From, weeks[len(weeks)-1].To)
	// The week of an event: the number of week starts at or before it.
	q := "SELECT (SELECT count(*) FROM unnest(" + w.arg(starts) + "::timestamptz[]) AS s WHERE s <= e.occurred_at), e.level, count(*) " +
		"FROM events e JOIN tickets t ON t.id = e.ticket_id" + w.sql() + " GROUP BY 1, 2"
	rows, _ := tx.Query(ctx, q, w.args...)
	var (
		k int
		l gridwarn.Level
		n int
	)
	_, err := pgx.ForEachRow(rows, []any{&k, &l, &n}, func() error {
		if k >= 1 && k <= len(out) {
			out[k-1].ByLevel[l] += n
		}
		return nil
	})
	return out, err
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// eventCounts counts the week's events by level and category, and by
// level per town, in one grouped scan.
func eventCounts(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk WeekSpan, s *gridwarn.WeeklySummary) (map[string]map[gridwarn.Level]int, error) {
	var w where
	scope.cond(&w)
	w.add("e.occurred_at >= %s AND e.occurred_at < %s", wk.From, wk.To)
	rows, _ := tx.Query(ctx, "SELECT coalesce(t.town_code, ''), e.level, e.category, count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id"+
		w.sql()+" GROUP BY 1, 2, 3", w.args...)
	var (
		town string
		l    gridwarn.Level
		c    gridwarn.Category
		n    int
	)
	byTown := map[string]map[gridwarn.Level]int{}
	_, err := pgx.ForEachRow(rows, []any{&town, &l, &c, &n}, func() error {
		s.ByLevel[l] += n
		s.ByCat[c] += n
		if byTown[town] == nil {
			byTown[town] = map[gridwarn.Level]int{}
		}
		byTown[town][l] += n
		return nil
	})
	return byTown, err
}

// townLines is a line per town of the county: its headline and its events
// by level, taken from the grouped scans.
func townLines(ctx context.Context, tx pgx.Tx, scope SummaryScope, heads map[string]gridwarn.Headline, levels map[string]map[gridwarn.Level]int) ([]gridwarn.TownLine, error) {
	rows, _ := tx.Query(ctx, `SELECT code, name_zh FROM units WHERE parent_code = $1 ORDER BY code`, scope.Unit.Code)
	var (
		code, name string
		out        []gridwarn.TownLine
	)
	_, err := pgx.ForEachRow(rows, []any{&code, &name}, func() error {
		bl := levels[code]
		if bl == nil {
			bl = map[gridwarn.Level]int{}
		}
		out = append(out, gridwarn.TownLine{TownCode: code, TownName: name, ByLevel: bl, Headline: withSatisfaction(heads[code])})
		return nil
	})
	return out, err
}

// limitsMet: of the clocks that ended in the week, the share that ended
// before their due time, per tier. A clock ends when it breaches (missed)
// or when it is stopped because its step was done ('met') or the ticket
// was closed ('closed'; met if before its due time). A breached clock
// counts as missed even though the escalation that follows the breach
// stops it ('escalated') — only a breach the sweeper found stale (the
// ticket had left the tier or closed) does not count. A clock stopped
// unbreached for any other reason was superseded (a tier change: the
// engine's and the sweeper's 'escalated', the workflow's escalate, return,
// hand_down; a reopening: callback, reopen, follow_up) and did not end.
func limitsMet(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk WeekSpan) ([]gridwarn.TierLimitsMet, error) {
	var w where
	scope.cond(&w)
	from, to := w.arg(wk.From), w.arg(wk.To)
	q := `
SELECT c.tier, count(*), count(*) FILTER (WHERE c.breached_at IS NULL AND c.stopped_at <= c.due_at)
FROM ticket_clocks c JOIN tickets t ON t.id = c.ticket_id` + w.sql() + `
  AND coalesce(c.breached_at, c.stopped_at) >= ` + from + ` AND coalesce(c.breached_at, c.stopped_at) < ` + to + `
  AND (c.breached_at IS NOT NULL AND c.stop_reason IS DISTINCT FROM 'stale'
       OR c.breached_at IS NULL AND c.stop_reason IN ('met', 'closed'))
GROUP BY c.tier`
	rows, _ := tx.Query(ctx, q, w.args...)
	got := map[gridwarn.Tier]gridwarn.TierLimitsMet{}
	var m gridwarn.TierLimitsMet
	if _, err := pgx.ForEachRow(rows, []any{&m.Tier, &m.Ended, &m.Met}, func() error { got[m.Tier] = m; return nil }); err != nil {
		return nil, err
	}
	out := make([]gridwarn.TierLimitsMet, 0, 3)
	for _, t := range gridwarn.Tiers {
		m := got[t]
		m.Tier = t
		if m.Ended > 0 {
			m.MetPct = round1(100 * float64(m.Met) / float64(m.Ended))
		}
		out = append(out, m)
	}
	return out, nil
}

// durations: hours from opening to the history step (accept or close) of
// the tickets that took it in the week.
func durations(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk WeekSpan, kind string) (gridwarn.Durations, error) {
	var w where
	scope.cond(&w)
	w.add("h.kind = %s AND h.at >= %s AND h.at < %s", kind, wk.From, wk.To)
	rows, _ := tx.Query(ctx, "SELECT extract(epoch FROM h.at - t.opened_at) / 3600 FROM ticket_history h JOIN tickets t ON t.id = h.ticket_id"+w.sql()+" ORDER BY 1", w.args...)
	hours, err := pgx.CollectRows(rows, pgx.RowTo[float64])
	if err != nil {
		return gridwarn.Durations{}, err
	}
	return summary.DurationsOf(hours), nil
}

var ageBuckets = []struct {
	label string
	upTo  time.Duration
}{
	{"< 1 day", 24 * time.Hour}, {"1–7 days", 7 * 24 * time.Hour}, {"7–15 days", 15 * 24 * time.Hour},
	{"15–30 days", 30 * 24 * time.Hour}, {"> 30 days", math.MaxInt64},
}

func backlog(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk WeekSpan) ([]gridwarn.AgeBucket, error) {
	var w where
	scope.cond(&w)
	to := w.arg(wk.To)
	w.conds = append(w.conds, "t.opened_at < "+to, "(t.closed_at IS NULL OR t.closed_at >= "+to+")", "t.status <> 'merged'")
	rows, _ := tx.Query(ctx, "SELECT extract(epoch FROM "+to+"::timestamptz - t.opened_at) FROM tickets t"+w.sql(), w.args...)
	ages, err := pgx.CollectRows(rows, pgx.RowTo[float64])
	if err != nil {
		return nil, err
	}
	out := make([]gridwarn.AgeBucket, len(ageBuckets))
	for i, b := range ageBuckets {
		out[i].Label = b.label
	}
	for _, a := range ages {
		d := time.Duration(a * float64(time.Second))
		for i, b := range ageBuckets {
			if d < b.upTo {
				out[i].Count++
				break
			}
		}
	}
	return out, nil
}

// riskiest: the ten enterprises with the highest score of the week (then
// the highest level of the week, the most events), with the change in
// their number of events from the week before.
func riskiest(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk, prev WeekSpan) ([]gridwarn.RiskyEnterprise, error) {
	var w where
	scope.cond(&w)
	from, to, pfrom := w.arg(wk.From), w.arg(wk.To), w.arg(prev.From)
	q := `
SELECT e.enterprise, coalesce(max(en.name), ''), coalesce(max(t.town_code), ''),
       max(coalesce((e.decision->>'score')::int, 0)) FILTER (WHERE e.occurred_at >= ` + from + `),
       max(level_rank(e.level)) FILTER (WHERE e.occurred_at >= ` + from + `),
       count(*) FILTER (WHERE e.occurred_at >= ` + from + `),
       count(*) FILTER (WHERE e.occurred_at < ` + from + `)
FROM events e JOIN tickets t ON t.id = e.ticket_id LEFT JOIN enterprises en ON en.credit_code = e.enterprise` + w.sql() + `
  AND e.occurred_at >= ` + pfrom + ` AND e.occurred_at < ` + to + `
GROUP BY e.enterprise
HAVING count(*) FILTER (WHERE e.occurred_at >= ` + from + `) > 0
ORDER BY 4 DESC, 5 DESC, 6 DESC, 1
LIMIT 10`
	rows, _ := tx.Query(ctx, q, w.args...)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.RiskyEnterprise, error) {
		var (
			e         gridwarn.RiskyEnterprise
			rank      int
			this, was int
		)
		err := r.Scan(&e.CreditCode, &e.Name, &e.TownCode, &e.Score, &rank, &this, &was)
		e.Level, e.Events, e.Trend = gridwarn.Levels[max(rank, 1)-1], this, this-was
		return e, err
	})
}

func redTickets(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk WeekSpan) ([]gridwarn.RedTicket, error) {
	var w where
	scope.cond(&w)
	from, to := w.arg(wk.From), w.arg(wk.To)
	// Driven by the week's history (the tickets touched this week), not by
	// every red ticket ever.
	q := `
WITH touched AS MATERIALIZED (
    SELECT DISTINCT h.ticket_id FROM ticket_history h WHERE h.at >= ` + from + ` AND h.at < ` + to + `)
SELECT t.id, t.enterprise, coalesce(en.name, ''), t.category, t.status, t.tier,
       coalesce((SELECT array_agg(DISTINCT coalesce(f->>'label_zh', f->>'rule'))
                 FROM events e, jsonb_array_elements(e.decision->'fired') f
                 WHERE e.ticket_id = t.id AND f->>'level' = 'red'), '{}')
FROM touched JOIN tickets t ON t.id = touched.ticket_id
LEFT JOIN enterprises en ON en.credit_code = t.enterprise` + w.sql() + `
  AND t.level = 'red'
ORDER BY t.id`
	rows, _ := tx.Query(ctx, q, w.args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.RedTicket, error) {
		var t gridwarn.RedTicket
		err := r.Scan(&t.TicketID, &t.Enterprise, &t.Name, &t.Category, &t.Status, &t.Tier, &t.Rules)
		slices.Sort(t.Rules)
		return t, err
	})
	return out, err
}

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
		note, _ := json.Marshal(map[string]any{"unit_code": s.UnitCode, "unit_name": s.UnitName, "week": s.ISO, "revision": rev,
			"events": s.Headline.Events, "red": s.ByLevel[gridwarn.LevelRed], "overdue": s.Headline.Overdue})
		_, err = tx.Exec(ctx, `INSERT INTO outbox (topic, subject, payload) VALUES ('summary.weekly', $1, $2)`,
			"gridwarn.summaries.weekly."+s.UnitCode, note)
		return err
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
	err := db.pool.QueryRow(ctx, `SELECT data FROM weekly_summaries WHERE unit_code = $1 AND week = $2 ORDER BY revision DESC LIMIT 1`, unit, week).Scan(&data)
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
	switch {
	case v.All:
	case v.CountyCode == "" || len(v.GridCodes) > 0:
		w.conds = append(w.conds, "false")
	case v.TownCode != "":
		w.add("s.unit_code = %s", v.TownCode)
	default:
		w.add("left(s.unit_code, 6) = %s", v.CountyCode)
	}
	rows, _ := db.pool.Query(ctx, `SELECT DISTINCT ON (s.week, s.unit_code) s.unit_code, s.week, s.revision, s.built_at, s.built_by
FROM weekly_summaries s`+w.sql()+` ORDER BY s.week DESC, s.unit_code, s.revision DESC LIMIT `+w.arg(limitOrDefault(limit)), w.args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.SummaryInfo, error) {
		var i gridwarn.SummaryInfo
		return i, r.Scan(&i.UnitCode, &i.Week, &i.Revision, &i.BuiltAt, &i.BuiltBy)
	})
	return out, translate(err, "summaries")
}
