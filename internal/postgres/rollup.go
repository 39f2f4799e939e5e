package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The daily rollup (migration 00025): the events by (county, day, town,
// category, level) in event_days, and by (county, day, town, enterprise)
// with the highest score and level in enterprise_days, a day being a
// calendar day in rollup_zone's time zone. The summaries, the period
// reports and the dashboard's trend read it instead of the events.

// The rollup's upsert, the last statement of a batch's transaction (so
// the rows, which every engine shares, stay locked for as short as
// possible): one statement for both tables, fed with the batch's events
// already counted in Go by (county, town, enterprise, category, level, a
// quarter of an hour). Each table's rows are locked in key order (ORDER
// BY the primary key), and every engine sends the same statement, so the
// two tables are always taken in the same order: two engines counting the
// same days wait for each other, never deadlock. The day is computed in
// the zone the rollup is kept in, whatever the writer's own configuration
// says; a quarter of an hour (UTC) never straddles a local midnight, every
// zone's offset being a whole number of quarters.
const rollupUpsert = `
WITH k AS (
    SELECT u.county, (u.at AT TIME ZONE z.name)::date AS day, u.town, u.enterprise, u.category, u.level, u.n, u.score
    FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[])
         AS u(at, county, town, enterprise, category, level, n, score)
    CROSS JOIN rollup_zone z
), days AS (
    INSERT INTO event_days AS r (county_code, day, town_code, category, level, n)
    SELECT county, day, town, category, level, sum(n) FROM k
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (county_code, day, town_code, category, level) DO UPDATE SET n = r.n + excluded.n
)
INSERT INTO enterprise_days AS r (county_code, day, town_code, enterprise, n, score, level_rank)
SELECT county, day, town, enterprise, sum(n), max(score), coalesce(max(level_rank(level)), 0) FROM k
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
ON CONFLICT (county_code, day, town_code, enterprise) DO UPDATE
SET n = r.n + excluded.n, score = greatest(r.score, excluded.score), level_rank = greatest(r.level_rank, excluded.level_rank)`

// rollupQuarter is the span the batch's events are counted in before
// they reach the database (see rollupUpsert).
const rollupQuarter = 15 * time.Minute

// rollupPlan counts the events the batch inserted (groups hold only the
// events the inbox let through) into the rollup: in the county and town
// of the ticket each joined, by the event's own category and level.
func rollupPlan(groups []*group) plan {
	type key struct {
		at                            time.Time
		county, town, ent, cat, level string
	}
	type val struct{ n, score int32 }
	counts := map[key]*val{}
	var order []key
	for _, g := range groups {
		for _, it := range g.items {
			e := it.Event
			k := key{e.OccurredAt.UTC().Truncate(rollupQuarter), g.row.CountyCode, g.row.TownCode, e.Enterprise,
				string(e.Category), string(it.Decision.Level)}
			v := counts[k]
			if v == nil {
				v = &val{}
				counts[k] = v
				order = append(order, k)
			}
			v.n++
			v.score = max(v.score, int32(it.Decision.Score))
		}
	}
	var p plan
	if len(order) == 0 {
		return p
	}
	n := len(order)
	ats := make([]time.Time, n)
	counties, towns, ents, cats, levels := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ns, scores := make([]int32, n), make([]int32, n)
	for i, k := range order {
		v := counts[k]
		ats[i], counties[i], towns[i], ents[i], cats[i], levels[i] = k.at, k.county, k.town, k.ent, k.cat, k.level
		ns[i], scores[i] = v.n, v.score
	}
	p.add(rollupUpsert, ats, counties, towns, ents, cats, levels, ns, scores)
	return p
}

// RebuildRollup recomputes the daily rollup from the stored events in
// the time zone loc (nil: the database's configured zone) and returns the
// events it counted. The engines wait meanwhile.
func (db *DB) RebuildRollup(ctx context.Context, loc *time.Location) (int64, error) {
	if loc == nil {
		loc = db.loc
	}
	var n int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT gridwarn_rollup_rebuild($1)`, loc.String()).Scan(&n)
	})
	if err != nil {
		return 0, translate(err, "rebuild rollup")
	}
	return n, nil
}

// RollupZone is the time zone the daily rollup is kept in.
func (db *DB) RollupZone(ctx context.Context) (string, error) {
	var z string
	if err := db.pool.QueryRow(ctx, `SELECT name FROM rollup_zone`).Scan(&z); err != nil {
		return "", translate(err, "rollup zone")
	}
	return z, nil
}

// EnsureRollupZone rebuilds the rollup in the database's configured time
// zone when it is kept in another one (a changed scheduler.time_zone).
// It reports whether it rebuilt.
func (db *DB) EnsureRollupZone(ctx context.Context) (bool, error) {
	z, err := db.RollupZone(ctx)
	if err != nil || z == db.loc.String() {
		return false, err
	}
	n, err := db.RebuildRollup(ctx, db.loc)
	if err != nil {
		return false, err
	}
	db.log.Info("daily rollup rebuilt for a new time zone", "from", z, "to", db.loc.String(), "events", n)
	return true, nil
}

// days are the local calendar days of spans, when every bound is a
// midnight in loc: the rollup's days then cover the spans exactly. ok is
// false otherwise (the caller scans the events).
func days(loc *time.Location, spans ...WeekSpan) (from []time.Time, to []time.Time, ok bool) {
	day := func(t time.Time) (time.Time, bool) {
		l := t.In(loc)
		d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
		return d, l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 && l.Nanosecond() == 0
	}
	for _, s := range spans {
		f, ok1 := day(s.From)
		t, ok2 := day(s.To)
		if !ok1 || !ok2 {
			return nil, nil, false
		}
		from, to = append(from, f), append(to, t)
	}
	return from, to, true
}

// rollupServes says whether the rollup is kept in tz (the readers then
// read it; otherwise they scan the events) and returns tz's location.
func rollupServes(ctx context.Context, tx pgx.Tx, tz string) (*time.Location, bool, error) {
	var z string
	if err := tx.QueryRow(ctx, `SELECT name FROM rollup_zone`).Scan(&z); err != nil {
		return nil, false, fmt.Errorf("rollup zone: %w", err)
	}
	if z != tz {
		return nil, false, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, false, nil
	}
	return loc, true, nil
}

// rollupCond is the condition limiting rollup rows (alias r) to the scope.
func (s SummaryScope) rollupCond(w *where) string {
	if s.Unit.Kind == gridwarn.UnitCounty {
		return "r.county_code = " + w.arg(s.Unit.Code)
	}
	return "r.town_code = " + w.arg(s.Unit.Code)
}

// dayWeeks are spans whose bounds are days (UTC midnights standing for
// the local days), for bucketsOf over the rollup's day column.
func dayWeeks(from, to []time.Time) []WeekSpan {
	out := make([]WeekSpan, len(from))
	for i := range from {
		out[i] = WeekSpan{From: from[i], To: to[i]}
	}
	return out
}

// weekDays is weekEvents read from the daily rollup: the same counts
// (the week's by level and category into s, by town and level returned,
// the week's and the week before's by town into the headlines, the
// trend's weeks by level into s, and the events of the week and the week
// before with the week's highest score and level of the enterprises
// riskiestOf will show — only those, where weekEvents returns every
// enterprise of the two weeks), from the days' rows instead of the events.
// The spans' bounds must be days of the rollup's zone (see days).
func weekDays(ctx context.Context, tx pgx.Tx, scope SummaryScope, from, to []time.Time, trend []WeekSpan, s *gridwarn.WeeklySummary,
	head func(string) *[2]gridwarn.Headline) (map[string]map[gridwarn.Level]int, map[string]*risky, error) {
	b := bucketsOf(dayWeeks(from, to)...)
	lo, hi := b.span()
	var w where
	bounds := w.arg(b.bounds)
	headBuckets := w.arg(append(slices.Clone(b.of[0]), b.of[1]...))
	// Grouped on the server into what the summary shows, so that a hundred
	// rows or so travel instead of one per day, town, category and level:
	// grouping() 6 = by level (every week: the headline's and the trend's),
	// 2 = by town and level, 5 = by category (the headline weeks only).
	q := `
SELECT grouping(r.town_code, r.category, r.level), width_bucket(r.day, ` + bounds + `::date[]) AS b,
       r.town_code, r.category, r.level, sum(r.n)::int
FROM event_days r
WHERE ` + scope.rollupCond(&w) + ` AND r.day >= ` + w.arg(lo) + `::date AND r.day < ` + w.arg(hi) + `::date
GROUP BY GROUPING SETS ((b, r.level), (b, r.town_code, r.level), (b, r.category))
HAVING grouping(r.town_code, r.category, r.level) = 6 OR width_bucket(r.day, ` + bounds + `::date[]) = ANY(` + headBuckets + `::int[])`
	nTrend := len(trend)
	s.Trend = make([]gridwarn.WeekLevels, nTrend)
	for i, wk := range trend {
		s.Trend[i] = gridwarn.WeekLevels{ISO: wk.ISO, ByLevel: map[gridwarn.Level]int{}}
	}
	levels := map[string]map[gridwarn.Level]int{}
	var (
		set, k, n int
		town      *string
		cat       *gridwarn.Category
		lvl       *gridwarn.Level
	)
	rows, _ := tx.Query(ctx, q, w.args...)
	_, err := pgx.ForEachRow(rows, []any{&set, &k, &town, &cat, &lvl, &n}, func() error {
		this, last := slices.Contains(b.of[0], k), slices.Contains(b.of[1], k)
		switch set {
		case 6:
			if this {
				s.ByLevel[*lvl] += n
			}
			for i := range nTrend {
				if slices.Contains(b.of[2+i], k) {
					s.Trend[i].ByLevel[*lvl] += n
				}
			}
		case 2:
			if this {
				if levels[*town] == nil {
					levels[*town] = map[gridwarn.Level]int{}
				}
				levels[*town][*lvl] += n
				head(*town)[0].Events += n
			}
			if last {
				head(*town)[1].Events += n
			}
		case 5:
			if this {
				s.ByCat[*cat] += n
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}

	// The riskiest enterprises of the week, ranked on the server as
	// riskiestOf ranks them (the credit code compared bytewise, as Go
	// does), with their events of the week before: ten rows instead of one
	// per enterprise.
	w = where{}
	f0, t0, f1, t1 := w.arg(from[0]), w.arg(to[0]), w.arg(from[1]), w.arg(to[1])
	this := `r.day >= ` + f0 + `::date AND r.day < ` + t0 + `::date`
	q = `
SELECT r.enterprise, coalesce(sum(r.n) FILTER (WHERE ` + this + `), 0)::int AS events,
       coalesce(sum(r.n) FILTER (WHERE r.day >= ` + f1 + `::date AND r.day < ` + t1 + `::date), 0)::int,
       coalesce(max(r.score) FILTER (WHERE ` + this + `), 0) AS score,
       coalesce(max(r.level_rank) FILTER (WHERE ` + this + `), 0)::int AS rank, max(r.town_code)
FROM enterprise_days r
WHERE ` + scope.rollupCond(&w) + ` AND (` + this + ` OR r.day >= ` + f1 + `::date AND r.day < ` + t1 + `::date)
GROUP BY r.enterprise
HAVING sum(r.n) FILTER (WHERE ` + this + `) > 0
ORDER BY score DESC, rank DESC, events DESC, r.enterprise COLLATE "C"
LIMIT ` + strconv.Itoa(riskiestShown)
	ents := map[string]*risky{}
	rows, _ = tx.Query(ctx, q, w.args...)
	var e risky
	_, err = pgx.ForEachRow(rows, []any{&e.CreditCode, &e.Events, &e.was, &e.Score, &e.rank, &e.TownCode}, func() error {
		ents[e.CreditCode] = &risky{RiskyEnterprise: gridwarn.RiskyEnterprise{CreditCode: e.CreditCode, TownCode: e.TownCode,
			Events: e.Events, Score: e.Score}, rank: e.rank, was: e.was}
		return nil
	})
	return levels, ents, err
}
