package postgres

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// SummaryScope says whose week a summary is: a county or one town.
type SummaryScope struct {
	Unit gridwarn.Unit
}

// cond is the condition limiting tickets (alias t) to the scope.
func (s SummaryScope) cond(w *where) string {
	if s.Unit.Kind == gridwarn.UnitCounty {
		return "t.county_code = " + w.arg(s.Unit.Code)
	}
	return "t.town_code = " + w.arg(s.Unit.Code)
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
// the week they happened.
//
// The cost follows the data of the weeks shown, not the whole history:
// every query reads a time range through an index (migration 00007) and
// looks tickets up by id. The event counts of the trend's weeks, the week
// and the week before come from the daily rollup (migration 00025, kept by
// the engine with the events) when the weeks are whole days in its zone;
// otherwise the events are read once, from an index that covers every
// column the summary needs, and each of their tickets is looked up once
// for its town. The open tickets at the end of a week are the tickets open
// now plus those closed since, each through its own index.
func (db *DB) BuildWeeklySummary(ctx context.Context, scope SummaryScope, week, prev WeekSpan, trend []WeekSpan, tz string) (*gridwarn.WeeklySummary, error) {
	s := &gridwarn.WeeklySummary{
		Week: week.Week, ISO: week.ISO, UnitCode: scope.Unit.Code, UnitName: scope.Unit.NameZH, From: week.From, To: week.To,
		TimeZone: tz, ByLevel: map[gridwarn.Level]int{}, ByCat: map[gridwarn.Category]int{},
	}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		// The queries below are index range scans and lookups by id whose
		// estimated cost crosses jit_above_cost on a big table: compiling
		// them took longer than running them. The week's events are grouped
		// in memory.
		if _, err := tx.Exec(ctx, `SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`); err != nil {
			return err
		}
		heads := map[string]*[2]gridwarn.Headline{} // by town: this week, the week before
		head := func(town string) *[2]gridwarn.Headline {
			if heads[town] == nil {
				heads[town] = new([2]gridwarn.Headline)
			}
			return heads[town]
		}
		// The events' counts come from the daily rollup when it is kept
		// in tz and the weeks are whole days there; otherwise from the
		// events themselves (the same figures, at the cost of a scan).
		var (
			townLevels map[string]map[gridwarn.Level]int
			riskiest   map[string]*risky
		)
		loc, served, err := rollupServes(ctx, tx, tz)
		if err != nil {
			return err
		}
		var from, to []time.Time
		if served {
			from, to, served = days(loc, append([]WeekSpan{week, prev}, trend...)...)
		}
		if served {
			townLevels, riskiest, err = weekDays(ctx, tx, scope, from, to, trend, s, head)
		} else {
			townLevels, riskiest, err = weekEvents(ctx, tx, scope, week, prev, trend, s, head)
		}
		if err != nil {
			return fmt.Errorf("events: %w", err)
		}
		if err := weekTickets(ctx, tx, scope, week, prev, head); err != nil {
			return fmt.Errorf("tickets: %w", err)
		}
		if err := weekHistory(ctx, tx, scope, week, prev, head); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		if s.Backlog, err = openAtEnd(ctx, tx, scope, week, prev, head); err != nil {
			return fmt.Errorf("backlog: %w", err)
		}
		for _, h := range heads {
			s.Headline, s.Previous = addHeadline(s.Headline, h[0]), addHeadline(s.Previous, h[1])
		}
		s.Headline, s.Previous = withSatisfaction(s.Headline), withSatisfaction(s.Previous)
		if scope.Unit.Kind == gridwarn.UnitCounty {
			if s.Towns, err = townLines(ctx, tx, scope, heads, townLevels); err != nil {
				return fmt.Errorf("towns: %w", err)
			}
		}
		if s.Riskiest, err = riskiestOf(ctx, tx, riskiest); err != nil {
			return fmt.Errorf("riskiest: %w", err)
		}
		if s.TimeLimits, err = limitsMet(ctx, tx, scope, week); err != nil {
			return fmt.Errorf("time limits: %w", err)
		}
		if s.Accept, s.Resolve, err = durations(ctx, tx, scope, week); err != nil {
			return fmt.Errorf("durations: %w", err)
		}
		if s.Red, err = redTickets(ctx, tx, scope, week); err != nil {
			return fmt.Errorf("red tickets: %w", err)
		}
		hv := gridwarn.Visibility{CountyCode: gridwarn.CountyOf(scope.Unit.Code)}
		if scope.Unit.Kind != gridwarn.UnitCounty {
			hv.TownCode = scope.Unit.Code
		}
		hf, err := hotlineFigures(ctx, tx, hv, week.From, week.To)
		if err != nil {
			return fmt.Errorf("hotline: %w", err)
		}
		s.Hotline = &hf
		return nil
	})
	if err != nil {
		return nil, translate(err, "weekly summary")
	}
	return s, nil
}

func addHeadline(a, b gridwarn.Headline) gridwarn.Headline {
	a.Events += b.Events
	a.NewTickets += b.NewTickets
	a.Escalated += b.Escalated
	a.Closed += b.Closed
	a.Overdue += b.Overdue
	a.MoneyRecoveredCNY += b.MoneyRecoveredCNY
	a.WorkersCovered += b.WorkersCovered
	a.CallBacks += b.CallBacks
	a.Satisfied += b.Satisfied
	return a
}

func withSatisfaction(h gridwarn.Headline) gridwarn.Headline {
	if h.CallBacks > 0 {
		h.SatisfactionPct = round1(100 * float64(h.Satisfied) / float64(h.CallBacks))
	}
	return h
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// buckets cut the time covered by some weeks at each of their bounds, so
// that one scan of the whole range can place every row in its week with
// width_bucket: bucket i (from 1) runs from bounds[i-1] to bounds[i], and
// each week is a run of whole buckets.
type buckets struct {
	bounds []time.Time
	of     [][]int // the buckets of each week, in the order given
}

func bucketsOf(weeks ...WeekSpan) buckets {
	var b buckets
	for _, w := range weeks {
		b.bounds = append(b.bounds, w.From, w.To)
	}
	slices.SortFunc(b.bounds, time.Time.Compare)
	b.bounds = slices.CompactFunc(b.bounds, time.Time.Equal)
	for _, w := range weeks {
		var in []int
		for i := 1; i < len(b.bounds); i++ {
			if !b.bounds[i-1].Before(w.From) && !b.bounds[i].After(w.To) {
				in = append(in, i)
			}
		}
		b.of = append(b.of, in)
	}
	return b
}

// span is the whole range the buckets cover.
func (b buckets) span() (from, to time.Time) {
	if len(b.bounds) == 0 {
		return time.Time{}, time.Time{}
	}
	return b.bounds[0], b.bounds[len(b.bounds)-1]
}

// week is the index (in the order given to bucketsOf) of the first week
// holding bucket k, or -1.
func (b buckets) week(k int, among ...int) int {
	for _, i := range among {
		if slices.Contains(b.of[i], k) {
			return i
		}
	}
	return -1
}

// risky is an enterprise with events in the week, before ranking.
type risky struct {
	gridwarn.RiskyEnterprise
	rank, was int
}

// weekEvents reads the events of the trend's weeks, the week and the week
// before in one scan and counts them: the week's by level and category
// (into s), by town and level (returned), the week's and the week
// before's by town (into the headlines), the trend's weeks by level (into
// s), and each enterprise's events of the week and the week before with
// the week's highest score and level (returned, for the riskiest).
//
// The events are first grouped by ticket in the covering index events_week
// (no visit to the table), then each ticket is looked up once by its
// primary key for its town and scope (OFFSET 0 keeps the planner from
// turning the lookups into a hash join over every ticket): the number of
// lookups follows the weeks' tickets, not the table.
// The event's own enterprise and category count (an event absorbed into
// the county ticket of another category keeps its category).
func weekEvents(ctx context.Context, tx pgx.Tx, scope SummaryScope, week, prev WeekSpan, trend []WeekSpan, s *gridwarn.WeeklySummary,
	head func(string) *[2]gridwarn.Headline) (map[string]map[gridwarn.Level]int, map[string]*risky, error) {
	weeks := append([]WeekSpan{week, prev}, trend...)
	b := bucketsOf(weeks...)
	from, to := b.span()
	var w where
	bounds, lo, hi := w.arg(b.bounds), w.arg(from), w.arg(to)
	headBuckets := w.arg(append(slices.Clone(b.of[0]), b.of[1]...))
	inScope := scope.cond(&w)
	// grouping(): 3 = by town and level, 5 = by category, 6 = by
	// enterprise (the headline weeks only), 7 = by level (every week).
	q := `
WITH ev AS MATERIALIZED (
    SELECT width_bucket(e.occurred_at, ` + bounds + `::timestamptz[]) AS b, e.ticket_id, e.enterprise, e.category, e.level,
           count(*) AS n, max(coalesce(e.score, 0)) AS score
    FROM events e
    WHERE e.occurred_at >= ` + lo + ` AND e.occurred_at < ` + hi + `
    GROUP BY 1, 2, 3, 4, 5),
tk AS MATERIALIZED (
    SELECT t.id, coalesce(t.town_code, '') AS town
    FROM (SELECT DISTINCT ticket_id FROM ev) d
    CROSS JOIN LATERAL (SELECT t.id, t.town_code, t.county_code FROM tickets t WHERE t.id = d.ticket_id OFFSET 0) t
    WHERE ` + inScope + `)
SELECT grouping(tk.town, ev.category, ev.enterprise), ev.b, coalesce(tk.town, ''), coalesce(ev.category, ''),
       coalesce(ev.enterprise, ''), coalesce(ev.level, ''), sum(ev.n)::int, max(ev.score), coalesce(max(level_rank(ev.level)), 0)::int,
       max(tk.town)
FROM ev JOIN tk ON tk.id = ev.ticket_id
GROUP BY GROUPING SETS ((ev.b, ev.level), (ev.b, tk.town, ev.level), (ev.b, ev.category), (ev.b, ev.enterprise))
HAVING grouping(tk.town, ev.category, ev.enterprise) = 7 OR ev.b = ANY(` + headBuckets + `::int[])`
	s.Trend = make([]gridwarn.WeekLevels, len(trend))
	for i, wk := range trend {
		s.Trend[i] = gridwarn.WeekLevels{ISO: wk.ISO, ByLevel: map[gridwarn.Level]int{}}
	}
	levels := map[string]map[gridwarn.Level]int{}
	ents := map[string]*risky{}
	var (
		set, k, n, score, rank int
		town, ent, maxTown     string
		cat                    gridwarn.Category
		lvl                    gridwarn.Level
	)
	rows, _ := tx.Query(ctx, q, w.args...)
	_, err := pgx.ForEachRow(rows, []any{&set, &k, &town, &cat, &ent, &lvl, &n, &score, &rank, &maxTown}, func() error {
		this, last := slices.Contains(b.of[0], k), slices.Contains(b.of[1], k)
		switch set {
		case 7:
			if this {
				s.ByLevel[lvl] += n
			}
			for i := range trend {
				if slices.Contains(b.of[2+i], k) {
					s.Trend[i].ByLevel[lvl] += n
				}
			}
		case 3:
			if this {
				if levels[town] == nil {
					levels[town] = map[gridwarn.Level]int{}
				}
				levels[town][lvl] += n
				head(town)[0].Events += n
			}
			if last {
				head(town)[1].Events += n
			}
		case 5:
			if this {
				s.ByCat[cat] += n
			}
		case 6:
			e := ents[ent]
			if e == nil {
				e = &risky{RiskyEnterprise: gridwarn.RiskyEnterprise{CreditCode: ent}}
				ents[ent] = e
			}
			e.TownCode = max(e.TownCode, maxTown)
			if this {
				e.Events += n
				e.Score, e.rank = max(e.Score, score), max(e.rank, rank)
			}
			if last {
				e.was += n
			}
		}
		return nil
	})
	return levels, ents, err
}

// riskiestShown is how many of the riskiest enterprises a summary names.
const riskiestShown = 10

// riskiestOf ranks the enterprises with events in the week: the highest
// score of the week first, then the highest level of the week, the most
// events and the credit code; ten of them, with their names.
func riskiestOf(ctx context.Context, tx pgx.Tx, ents map[string]*risky) ([]gridwarn.RiskyEnterprise, error) {
	var top []*risky
	for _, e := range ents {
		if e.Events > 0 {
			top = append(top, e)
		}
	}
	slices.SortFunc(top, func(a, b *risky) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.rank, a.rank), cmp.Compare(b.Events, a.Events),
			strings.Compare(a.CreditCode, b.CreditCode))
	})
	top = top[:min(len(top), riskiestShown)]
	codes := make([]string, len(top))
	for i, e := range top {
		codes[i] = e.CreditCode
	}
	rows, _ := tx.Query(ctx, `SELECT credit_code, name FROM enterprises WHERE credit_code = ANY($1)`, codes)
	names := map[string]string{}
	var code, name string
	if _, err := pgx.ForEachRow(rows, []any{&code, &name}, func() error { names[code] = name; return nil }); err != nil {
		return nil, err
	}
	out := make([]gridwarn.RiskyEnterprise, len(top))
	for i, e := range top {
		out[i] = e.RiskyEnterprise
		out[i].Name = names[e.CreditCode]
		out[i].Level = gridwarn.Levels[min(max(e.rank, 1), len(gridwarn.Levels))-1]
		out[i].Trend = e.Events - e.was
	}
	return out, nil
}

// weekTickets counts the tickets opened in the week and the week before,
// by town (index tickets_opened).
func weekTickets(ctx context.Context, tx pgx.Tx, scope SummaryScope, week, prev WeekSpan, head func(string) *[2]gridwarn.Headline) error {
	b := bucketsOf(week, prev)
	from, to := b.span()
	var w where
	bounds, lo, hi := w.arg(b.bounds), w.arg(from), w.arg(to)
	q := `
SELECT width_bucket(t.opened_at, ` + bounds + `::timestamptz[]), coalesce(t.town_code, ''), count(*)::int
FROM tickets t
WHERE ` + scope.cond(&w) + ` AND t.opened_at >= ` + lo + ` AND t.opened_at < ` + hi + `
GROUP BY 1, 2`
	var (
		k, n int
		town string
	)
	rows, _ := tx.Query(ctx, q, w.args...)
	_, err := pgx.ForEachRow(rows, []any{&k, &town, &n}, func() error {
		if i := b.week(k, 0, 1); i >= 0 {
			head(town)[i].NewTickets += n
		}
		return nil
	})
	return err
}

// weekHistory counts the steps of the week and the week before, by town:
// escalations (the workflow's escalate and the sweeper's tier changes; not
// the engine's, which follow a level), closes, the money and workers of the
// replies, the call-backs and the satisfied ones (index ticket_history_at).
func weekHistory(ctx context.Context, tx pgx.Tx, scope SummaryScope, week, prev WeekSpan, head func(string) *[2]gridwarn.Headline) error {
	b := bucketsOf(week, prev)
	from, to := b.span()
	var w where
	bounds, lo, hi := w.arg(b.bounds), w.arg(from), w.arg(to)
	q := `
SELECT width_bucket(h.at, ` + bounds + `::timestamptz[]), coalesce(t.town_code, ''),
       count(DISTINCT h.ticket_id) FILTER (WHERE h.kind = 'escalate' AND h.actor <> 'system:engine' OR (h.kind = 'tier_changed' AND h.actor = 'system:sweeper'))::int,
       count(*) FILTER (WHERE h.kind = 'close')::int,
       coalesce(sum((h.data->'outcome'->>'amount_recovered_cny')::numeric) FILTER (WHERE h.kind = 'reply'), 0)::float8,
       coalesce(sum((h.data->'outcome'->>'workers_covered')::int) FILTER (WHERE h.kind = 'reply'), 0)::int,
       count(*) FILTER (WHERE h.kind = 'callback')::int,
       count(*) FILTER (WHERE h.kind = 'callback' AND (h.data->>'satisfied')::bool)::int
FROM ticket_history h JOIN tickets t ON t.id = h.ticket_id
WHERE ` + scope.cond(&w) + ` AND h.at >= ` + lo + ` AND h.at < ` + hi + `
GROUP BY 1, 2`
	var (
		k    int
		town string
		x    gridwarn.Headline
	)
	rows, _ := tx.Query(ctx, q, w.args...)
	_, err := pgx.ForEachRow(rows, []any{&k, &town, &x.Escalated, &x.Closed, &x.MoneyRecoveredCNY, &x.WorkersCovered, &x.CallBacks, &x.Satisfied}, func() error {
		if i := b.week(k, 0, 1); i >= 0 {
			h := &head(town)[i]
			*h = addHeadline(*h, x)
		}
		return nil
	})
	return err
}

var ageBuckets = []struct {
	label string
	upTo  time.Duration
}{
	{"< 1 day", 24 * time.Hour}, {"1–7 days", 7 * 24 * time.Hour}, {"7–15 days", 15 * 24 * time.Hour},
	{"15–30 days", 30 * 24 * time.Hour}, {"> 30 days", math.MaxInt64},
}

// ageLimits are the upper bounds of ageBuckets but the last, in seconds:
// width_bucket's bounds.
func ageLimits() []float64 {
	limits := make([]float64, len(ageBuckets)-1)
	for i, b := range ageBuckets[:len(limits)] {
		limits[i] = b.upTo.Seconds()
	}
	return limits
}

// openAtSQL is the statement counting the tickets open at each of ends
// ($1, …), numbered k from 0: by k, county, town and age bucket, with
// those overdue then. A ticket was open at an end if it had been opened
// and is open now (not merged), or was closed since: the two sets have
// their own indexes (tickets_open, tickets_closed), so the cost follows
// the open tickets and those closed since, not every ticket ever. cond
// limits the tickets (alias t), with its arguments in w after the ends.
func openAtSQL(w *where, ends []time.Time, cond func(*where) string) string {
	var branches []string
	for k, end := range ends {
		at := w.arg(end)
		for _, open := range []string{"t.closed_at IS NULL AND t.status <> 'merged'", "t.closed_at >= " + at} {
			c := ""
			if cond != nil {
				c = " AND " + cond(w)
			}
			branches = append(branches, fmt.Sprintf(`
    SELECT %d AS k, %s::timestamptz AS at, t.county_code, t.town_code, t.opened_at, t.overdue_at
    FROM tickets t
    WHERE %s AND t.opened_at < %s%s`, k, at, open, at, c))
		}
	}
	return `
SELECT k, county_code, coalesce(town_code, '') AS town_code,
       width_bucket(extract(epoch FROM at - opened_at)::float8, ` + w.arg(ageLimits()) + `::float8[]) AS age_bucket,
       count(*)::int AS n, count(*) FILTER (WHERE overdue_at < at)::int AS overdue
FROM (` + strings.Join(branches, "\n    UNION ALL") + `) open
GROUP BY 1, 2, 3, 4`
}

// openAtEnd counts the tickets open at the end of the week and of the week
// before that were overdue then, by town, and the backlog at the end of
// the week by age. When the backlog job has taken a snapshot at both ends
// (migration 00040) they are read from it; otherwise they are counted from
// the tickets (openAtSQL), which is what the snapshot holds.
//
// Each end is a plain parameter and the statement is planned with its
// values (an unnamed statement, QueryExecModeExec): only the values tell
// the planner that "closed since the end" is the narrow bound and "opened
// before it" nearly everything.
func openAtEnd(ctx context.Context, tx pgx.Tx, scope SummaryScope, week, prev WeekSpan, head func(string) *[2]gridwarn.Headline) ([]gridwarn.AgeBucket, error) {
	ends := []time.Time{week.To, prev.To}
	// The staleness check walks the tickets stored since each snapshot by
	// id (a NOT EXISTS is planned as an anti-join over every ticket).
	var snapped int
	if err := tx.QueryRow(ctx, `
SELECT count(*) FROM backlog_snapshots s
WHERE s.at = ANY($1) AND s.age_limits = $2
  AND (SELECT t.id FROM tickets t WHERE t.id > s.max_ticket_id AND t.opened_at < s.at ORDER BY t.id LIMIT 1) IS NULL`,
		ends, ageLimits()).Scan(&snapped); err != nil {
		return nil, err
	}
	var (
		w where
		q string
	)
	if snapped == len(ends) {
		e := w.arg(ends)
		q = `
SELECT array_position(` + e + `::timestamptz[], r.at) - 1, r.town_code, r.age_bucket::int, sum(r.n)::int, sum(r.overdue)::int
FROM backlog_ends r
WHERE r.at = ANY(` + e + `) AND ` + scope.rollupCond(&w) + `
GROUP BY 1, 2, 3`
	} else {
		q = `SELECT k, town_code, age_bucket, sum(n)::int, sum(overdue)::int FROM (` + openAtSQL(&w, ends, scope.cond) + `) o GROUP BY 1, 2, 3`
	}
	out := make([]gridwarn.AgeBucket, len(ageBuckets))
	for i, b := range ageBuckets {
		out[i].Label = b.label
	}
	var (
		k, age, n, overdue int
		town               string
	)
	rows, _ := tx.Query(ctx, q, append([]any{pgx.QueryExecModeExec}, w.args...)...)
	_, err := pgx.ForEachRow(rows, []any{&k, &town, &age, &n, &overdue}, func() error {
		head(town)[k].Overdue += overdue
		if k == 0 {
			out[age].Count += n
		}
		return nil
	})
	return out, err
}

// SnapshotBacklog writes the backlog snapshot (migration 00040) of each
// midnight in loc of the days days before now that has none, as long as
// it is at least a minute past (a ticket change begun before midnight has
// committed by then), oldest first, and returns how many it wrote. Each is
// one statement: the tickets open at that midnight as the summary counts
// them, at this moment.
func (db *DB) SnapshotBacklog(ctx context.Context, loc *time.Location, now time.Time, days int) (int, error) {
	l := now.Add(-time.Minute).In(loc)
	last := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	var ends []time.Time
	for d := days - 1; d >= 0; d-- {
		ends = append(ends, last.AddDate(0, 0, -d))
	}
	var have []time.Time
	rows, _ := db.pool.Query(ctx, `SELECT at FROM backlog_snapshots WHERE at = ANY($1)`, ends)
	have, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return 0, translate(err, "backlog snapshot")
	}
	written := 0
	for _, end := range ends {
		if slices.ContainsFunc(have, end.Equal) {
			continue
		}
		var w where
		q := `
WITH snap AS (
    INSERT INTO backlog_snapshots (at, age_limits, max_ticket_id)
    VALUES ($1, ` + "%s" + `, (SELECT coalesce(max(id), 0) FROM tickets)) ON CONFLICT (at) DO NOTHING RETURNING at
)
INSERT INTO backlog_ends (at, county_code, town_code, age_bucket, n, overdue)
SELECT snap.at, o.county_code, o.town_code, o.age_bucket, o.n, o.overdue
FROM (` + openAtSQL(&w, []time.Time{end}, nil) + `) o CROSS JOIN snap`
		q = fmt.Sprintf(q, w.arg(ageLimits()))
		if _, err := db.pool.Exec(ctx, q, append([]any{pgx.QueryExecModeExec}, w.args...)...); err != nil {
			return written, translate(err, "backlog snapshot")
		}
		written++
	}
	return written, nil
}

// townLines is a line per town of the county: its headline and its events
// by level.
func townLines(ctx context.Context, tx pgx.Tx, scope SummaryScope, heads map[string]*[2]gridwarn.Headline, levels map[string]map[gridwarn.Level]int) ([]gridwarn.TownLine, error) {
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
		var h gridwarn.Headline
		if heads[code] != nil {
			h = heads[code][0]
		}
		out = append(out, gridwarn.TownLine{TownCode: code, TownName: name, ByLevel: bl, Headline: withSatisfaction(h)})
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
// The week's clocks are found through ticket_clocks_ended.
func limitsMet(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk WeekSpan) ([]gridwarn.TierLimitsMet, error) {
	var w where
	from, to := w.arg(wk.From), w.arg(wk.To)
	q := `
SELECT c.tier, count(*)::int, count(*) FILTER (WHERE c.breached_at IS NULL AND c.stopped_at <= c.due_at)::int
FROM ticket_clocks c JOIN tickets t ON t.id = c.ticket_id
WHERE ` + scope.cond(&w) + `
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

// durations: hours from opening to each accept, and to each close, that
// happened in the week.
func durations(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk WeekSpan) (accept, resolve gridwarn.Durations, err error) {
	var w where
	from, to := w.arg(wk.From), w.arg(wk.To)
	q := `
SELECT h.kind = 'accept', extract(epoch FROM h.at - t.opened_at) / 3600
FROM ticket_history h JOIN tickets t ON t.id = h.ticket_id
WHERE ` + scope.cond(&w) + ` AND h.kind IN ('accept', 'close') AND h.at >= ` + from + ` AND h.at < ` + to
	var (
		isAccept bool
		hours    float64
		acc, res []float64
	)
	rows, _ := tx.Query(ctx, q, w.args...)
	_, err = pgx.ForEachRow(rows, []any{&isAccept, &hours}, func() error {
		if isAccept {
			acc = append(acc, hours)
		} else {
			res = append(res, hours)
		}
		return nil
	})
	return gridwarn.DurationsOf(acc), gridwarn.DurationsOf(res), err
}

// redTickets: every red ticket touched in the week, with the rules that
// fired red on its events. Driven by the week's history (the tickets
// touched this week), not by every red ticket ever.
func redTickets(ctx context.Context, tx pgx.Tx, scope SummaryScope, wk WeekSpan) ([]gridwarn.RedTicket, error) {
	var w where
	from, to := w.arg(wk.From), w.arg(wk.To)
	q := `
WITH touched AS MATERIALIZED (
    SELECT DISTINCT h.ticket_id FROM ticket_history h WHERE h.at >= ` + from + ` AND h.at < ` + to + `)
SELECT t.id, t.enterprise, coalesce(en.name, ''), t.category, t.status, t.tier,
       coalesce((SELECT array_agg(DISTINCT coalesce(f->>'label_zh', f->>'rule'))
                 FROM events e, jsonb_array_elements(e.decision->'fired') f
                 WHERE e.ticket_id = t.id AND f->>'level' = 'red'), '{}')
FROM touched JOIN tickets t ON t.id = touched.ticket_id
LEFT JOIN enterprises en ON en.credit_code = t.enterprise
WHERE ` + scope.cond(&w) + ` AND t.level = 'red'
ORDER BY t.id`
	rows, _ := tx.Query(ctx, q, w.args...)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.RedTicket, error) {
		var t gridwarn.RedTicket
		err := r.Scan(&t.TicketID, &t.Enterprise, &t.Name, &t.Category, &t.Status, &t.Tier, &t.Rules)
		slices.Sort(t.Rules)
		return t, err
	})
}
