package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
)

var _ gridwarn.DashboardService = (*DB)(nil)

// openTicket is the condition of an open ticket (alias t), the predicate of
// the partial index tickets_queue, so that the planner reads only the open
// tickets.
var openTicket = `t.status IN ` + openStatusesSQL

// Dashboard computes a leader's dashboard of what v sees at now, in one
// read-only snapshot: the open tickets by level, tier and town in one
// grouped scan of the open tickets, the tickets opened this week, the red
// and overdue lists, and the events of the last weeks by level. Weeks are
// ISO weeks in now's location.
func (db *DB) Dashboard(ctx context.Context, v gridwarn.Visibility, now time.Time) (*gridwarn.Dashboard, error) {
	loc := now.Location()
	week := isoweek.Of(now, loc)
	var spans []WeekSpan
	for _, wk := range isoweek.Last(week, gridwarn.DashboardWeeks) {
		from, to := isoweek.Bounds(wk, loc)
		spans = append(spans, WeekSpan{Week: wk, ISO: isoweek.Format(wk), From: from, To: to})
	}
	d := &gridwarn.Dashboard{At: now, Week: isoweek.Format(week),
		OpenByLevel: map[gridwarn.Level]int{}, OpenByTier: map[gridwarn.Tier]int{}}
	err := pgx.BeginTxFunc(ctx, db.read, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		var err error
		if d.Towns, err = boardTowns(ctx, tx, v); err != nil {
			return err
		}
		town := map[string]*gridwarn.BoardTown{}
		for i := range d.Towns {
			town[d.Towns[i].Code] = &d.Towns[i]
		}
		if err := openCounts(ctx, tx, v, now, d, town); err != nil {
			return err
		}
		if err := newCounts(ctx, tx, v, spans[len(spans)-1], d, town); err != nil {
			return err
		}
		var w where
		w.tickets(v)
		w.conds = append(w.conds, openTicket, "t.level = 'red'")
		if d.Red, err = boardList(ctx, tx, w, "t.opened_at, t.id"); err != nil {
			return err
		}
		w = where{}
		w.tickets(v)
		w.conds = append(w.conds, openTicket)
		w.add("t.overdue_at <= %s", now)
		if d.OverdueList, err = boardList(ctx, tx, w, "t.overdue_at, t.id"); err != nil {
			return err
		}
		d.Trend, err = boardTrend(ctx, tx, v, spans)
		return err
	})
	if err != nil {
		return nil, translate(err, "dashboard")
	}
	return d, nil
}

// boardTowns lists the towns v sees, by code.
func boardTowns(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility) ([]gridwarn.BoardTown, error) {
	w := where{conds: []string{"u.kind = 'town'"}}
	switch {
	case v.All:
	case v.CountyCode == "":
		w.conds = append(w.conds, "false")
	default:
		w.add("u.parent_code = %s", v.CountyCode)
		if v.TownCode != "" {
			w.add("u.code = %s", v.TownCode)
		}
		if len(v.GridCodes) > 0 {
			w.add("u.code IN (SELECT g.town_code FROM grids g WHERE g.code = ANY(%s))", v.GridCodes)
		}
	}
	rows, _ := tx.Query(ctx, "SELECT u.code, u.name_zh, u.name_en FROM units u"+w.sql()+" ORDER BY u.code", w.args...)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.BoardTown, error) {
		t := gridwarn.BoardTown{OpenByLevel: map[gridwarn.Level]int{}}
		return t, r.Scan(&t.Code, &t.Name, &t.NameEN)
	})
}

// openCounts counts the open tickets by town, level and tier, and the
// overdue ones, in one grouped scan of the open tickets.
func openCounts(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility, now time.Time, d *gridwarn.Dashboard, town map[string]*gridwarn.BoardTown) error {
	var w where
	w.tickets(v)
	w.conds = append(w.conds, openTicket)
	q := "SELECT coalesce(t.town_code, ''), t.level, t.tier, count(*), count(*) FILTER (WHERE t.overdue_at <= " + w.arg(now) + ")" +
		" FROM tickets t" + w.sql() + " GROUP BY 1, 2, 3"
	rows, _ := tx.Query(ctx, q, w.args...)
	var (
		code       string
		l          gridwarn.Level
		tier       gridwarn.Tier
		n, overdue int
	)
	_, err := pgx.ForEachRow(rows, []any{&code, &l, &tier, &n, &overdue}, func() error {
		d.Open += n
		d.OpenByLevel[l] += n
		d.OpenByTier[tier] += n
		d.Overdue += overdue
		if t := town[code]; t != nil {
			t.Open += n
			t.OpenByLevel[l] += n
			t.Overdue += overdue
		}
		return nil
	})
	return err
}

// newCounts counts the tickets opened in the week by town.
func newCounts(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility, wk WeekSpan, d *gridwarn.Dashboard, town map[string]*gridwarn.BoardTown) error {
	var w where
	w.tickets(v)
	w.add("t.opened_at >= %s AND t.opened_at < %s", wk.From, wk.To)
	rows, _ := tx.Query(ctx, "SELECT coalesce(t.town_code, ''), count(*) FROM tickets t"+w.sql()+" GROUP BY 1", w.args...)
	var (
		code string
		n    int
	)
	_, err := pgx.ForEachRow(rows, []any{&code, &n}, func() error {
		d.NewThisWeek += n
		if t := town[code]; t != nil {
			t.NewThisWeek += n
		}
		return nil
	})
	return err
}

// boardList lists up to gridwarn.DashboardListMax tickets that w selects
// (alias t), in order (of the columns of t). The selection is materialised
// first, so that the open tickets' partial index drives the query rather
// than an index on the order's column walked through every closed ticket.
func boardList(ctx context.Context, tx pgx.Tx, w where, order string) ([]gridwarn.BoardTicket, error) {
	q := `WITH picked AS MATERIALIZED (
    SELECT t.id, t.enterprise, t.category, t.level, t.tier, t.status, t.town_code, t.opened_at, t.overdue_at FROM tickets t` + w.sql() + `)
SELECT t.id, t.enterprise, coalesce(en.name, ''), t.category, t.level, t.tier, t.status,
       coalesce(t.town_code, ''), coalesce(u.name_zh, ''), t.opened_at, t.overdue_at
FROM picked t
LEFT JOIN enterprises en ON en.credit_code = t.enterprise
LEFT JOIN units u ON u.code = t.town_code
ORDER BY ` + order + " LIMIT " + w.arg(gridwarn.DashboardListMax)
	rows, _ := tx.Query(ctx, q, w.args...)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.BoardTicket, error) {
		var t gridwarn.BoardTicket
		err := r.Scan(&t.ID, &t.Enterprise, &t.Name, &t.Category, &t.Level, &t.Tier, &t.Status,
			&t.TownCode, &t.TownName, &t.OpenedAt, &t.OverdueAt)
		return t, err
	})
}

// boardTrend counts the events v sees by level for each week in one scan of
// the weeks' span, as the weekly summary's trend does (events count in the
// week they occurred).
func boardTrend(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility, weeks []WeekSpan) ([]gridwarn.WeekLevels, error) {
	out := make([]gridwarn.WeekLevels, len(weeks))
	starts := make([]time.Time, len(weeks))
	for i, wk := range weeks {
		out[i] = gridwarn.WeekLevels{ISO: wk.ISO, ByLevel: map[gridwarn.Level]int{}}
		starts[i] = wk.From
	}
	if len(weeks) == 0 {
		return out, nil
	}
	if v.ReporterID == "" && len(v.GridCodes) == 0 {
		// A county's or a town's trend comes from the daily rollup, when
		// it is kept in the weeks' zone.
		loc, served, err := rollupServes(ctx, tx, weeks[0].From.Location().String())
		if err != nil {
			return nil, err
		}
		if served {
			if from, to, ok := days(loc, weeks...); ok {
				return boardTrendDays(ctx, tx, v, from, to, out)
			}
		}
	}
	var w where
	w.tickets(v)
	w.add("e.occurred_at >= %s AND e.occurred_at < %s", weeks[0].From, weeks[len(weeks)-1].To)
	// The week of an event: the number of week starts at or before it.
	q := "SELECT (SELECT count(*) FROM unnest(" + w.arg(starts) + "::timestamptz[]) AS s WHERE s <= e.occurred_at), e.level, count(*) " +
		"FROM events e JOIN tickets t ON t.id = e.ticket_id" + w.sql() + " GROUP BY 1, 2"
	rows, _ := tx.Query(ctx, q, w.args...)
	var (
		k, n int
		l    gridwarn.Level
	)
	_, err := pgx.ForEachRow(rows, []any{&k, &l, &n}, func() error {
		if k >= 1 && k <= len(out) {
			out[k-1].ByLevel[l] += n
		}
		return nil
	})
	return out, err
}

// boardTrendDays is boardTrend read from the daily rollup: the days of each
// week (from, to: days as bucketsOf takes them) by level, for a county or
// a town.
func boardTrendDays(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility, from, to []time.Time, out []gridwarn.WeekLevels) ([]gridwarn.WeekLevels, error) {
	b := bucketsOf(dayWeeks(from, to)...)
	lo, hi := b.span()
	var w where
	w.place(gridwarn.Visibility{All: v.All, CountyCode: v.CountyCode, TownCode: v.TownCode}, "r.county_code", "r.town_code", "")
	w.add("r.day >= %s::date AND r.day < %s::date", lo, hi)
	q := "SELECT width_bucket(r.day, " + w.arg(b.bounds) + "::date[]), r.level, sum(r.n)::int FROM event_days r" + w.sql() + " GROUP BY 1, 2"
	rows, _ := tx.Query(ctx, q, w.args...)
	var (
		k, n int
		l    gridwarn.Level
	)
	_, err := pgx.ForEachRow(rows, []any{&k, &l, &n}, func() error {
		for i := range out {
			if slices.Contains(b.of[i], k) {
				out[i].ByLevel[l] += n
			}
		}
		return nil
	})
	return out, err
}
