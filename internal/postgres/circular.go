package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// unionState is an enterprise's union status at a moment, read back from
// enterprise_union_history.
type unionState struct {
	hasUnion  bool
	joint     string
	headcount int
}

// unionStatesAt is the state of each of codes at the moment at (absent:
// not registered yet).
func unionStatesAt(ctx context.Context, tx pgx.Tx, codes []string, at time.Time) (map[string]unionState, error) {
	rows, _ := tx.Query(ctx, `
SELECT DISTINCT ON (h.credit_code) h.credit_code, h.has_union, h.joint_union, h.headcount
FROM enterprise_union_history h
WHERE h.credit_code = ANY($1) AND h.at < $2
ORDER BY h.credit_code, h.at DESC, h.id DESC`, codes, at)
	out := make(map[string]unionState, len(codes))
	var code string
	var s unionState
	_, err := pgx.ForEachRow(rows, []any{&code, &s.hasUnion, &s.joint, &s.headcount}, func() error {
		out[code] = s
		return nil
	})
	return out, err
}

// BuildUnionCircular builds unit's circular of a period (a month, or a
// quarter's summary) from the history of union status, so a period is the
// same whenever it is built: the list at the period's end and at its
// start, and the list the year began with; the enterprises are those
// registered in the unit now.
// target is the share of the year's list to unionize within the year.
func (db *DB) BuildUnionCircular(ctx context.Context, unit gridwarn.Unit, period gridwarn.Period, target float64) (*gridwarn.UnionCircular, error) {
	loc := db.loc
	at := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc) }
	end, prevEnd := at(period.To), at(period.From)
	yearStart := at(time.Date(period.From.Year(), 1, 1, 0, 0, 0, 0, time.UTC))
	lastDay, prevLastDay := period.To.AddDate(0, 0, -1), period.From.AddDate(0, 0, -1)
	yearLastDay := time.Date(period.From.Year()-1, 12, 31, 0, 0, 0, 0, time.UTC)
	prevMonth := gridwarn.PeriodOf(gridwarn.PeriodMonth, prevLastDay, time.UTC).Key

	c := &gridwarn.UnionCircular{UnitCode: unit.Code, UnitName: unit.NameZH, Period: period.Key, Items: []gridwarn.CircularItem{}}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		var w where
		_ = w.unit(gridwarn.Visibility{All: true}, unit.Code, "left(e.town_code, 6)", "e.town_code", "e.grid_code")
		rows, _ := tx.Query(ctx, `
SELECT e.credit_code, e.name, e.town_code, e.grid_code, coalesce(to_char(e.opened_on, 'YYYY-MM-DD'), ''), u.name_zh
FROM enterprises e JOIN units u ON u.code = e.town_code`+w.sql()+` ORDER BY e.town_code, e.credit_code`, w.args...)
		type ent struct{ code, name, town, grid, opened, townName string }
		var es []ent
		var e ent
		if _, err := pgx.ForEachRow(rows, []any{&e.code, &e.name, &e.town, &e.grid, &e.opened, &e.townName}, func() error {
			es = append(es, e)
			return nil
		}); err != nil {
			return err
		}
		codes := make([]string, len(es))
		for i, e := range es {
			codes[i] = e.code
		}
		now, err := unionStatesAt(ctx, tx, codes, end)
		if err != nil {
			return err
		}
		prev, err := unionStatesAt(ctx, tx, codes, prevEnd)
		if err != nil {
			return err
		}
		year, err := unionStatesAt(ctx, tx, codes, yearStart)
		if err != nil {
			return err
		}
		since := map[string]string{}
		var data []byte
		err = tx.QueryRow(ctx, `SELECT data FROM union_circulars WHERE unit_code = $1 AND period = $2 ORDER BY revision DESC LIMIT 1`,
			unit.Code, prevMonth).Scan(&data)
		if err != nil && err != pgx.ErrNoRows {
			return err
		}
		if data != nil {
			var p gridwarn.UnionCircular
			if err := json.Unmarshal(data, &p); err != nil {
				return err
			}
			for _, it := range p.Items {
				since[it.CreditCode] = it.ListedSince
			}
		}
		reason := func(s unionState, ok bool, e ent, day time.Time) gridwarn.UnionizationReason {
			if !ok {
				return ""
			}
			return gridwarn.UnionizationReasonOf(gridwarn.Enterprise{HasUnion: s.hasUnion, JointUnion: s.joint,
				Headcount: s.headcount, OpenedOn: e.opened}, day)
		}
		towns := map[string]*gridwarn.CircularTown{}
		var order []string
		for _, e := range es {
			t := towns[e.town]
			if t == nil {
				t = &gridwarn.CircularTown{UnitCode: e.town, UnitName: e.townName, Target: target, Longest: []gridwarn.CircularItem{}}
				towns[e.town] = t
				order = append(order, e.town)
			}
			cur, ok := now[e.code]
			p, pok := prev[e.code]
			y, yok := year[e.code]
			if reason(y, yok, e, yearLastDay) != "" {
				t.YearList++
				if cur.hasUnion {
					t.YearDone++
				}
			}
			if pok && !p.hasUnion && ok && cur.hasUnion {
				t.NewlyUnionized++
			}
			r := reason(cur, ok, e, lastDay)
			if r == "" {
				continue
			}
			t.Listed++
			it := gridwarn.CircularItem{UnionizationItem: gridwarn.UnionizationItem{CreditCode: e.code, Name: e.name,
				TownCode: e.town, GridCode: e.grid, Headcount: cur.headcount, OpenedOn: e.opened, JointUnion: cur.joint,
				Reason: r, HundredPlus: cur.headcount >= gridwarn.HundredPlusHeadcount}, ListedSince: period.From.Format("2006-01")}
			if reason(p, pok, e, prevLastDay) != "" {
				it.ListedSince = prevMonth
				if s := since[e.code]; s != "" {
					it.ListedSince = s
				}
			} else {
				t.NewlyListed++
			}
			c.Items = append(c.Items, it)
		}
		c.Totals = gridwarn.CircularTown{UnitCode: unit.Code, UnitName: unit.NameZH, Target: target, Longest: []gridwarn.CircularItem{}}
		longest := func(town string) []gridwarn.CircularItem {
			var out []gridwarn.CircularItem
			for _, it := range c.Items {
				if town == "" || it.TownCode == town {
					out = append(out, it)
				}
			}
			slices.SortStableFunc(out, func(a, b gridwarn.CircularItem) int {
				return cmp.Or(cmp.Compare(a.ListedSince, b.ListedSince), cmp.Compare(b.Headcount, a.Headcount))
			})
			return out[:min(len(out), gridwarn.CircularLongest)]
		}
		c.Towns = []gridwarn.CircularTown{}
		for _, code := range order {
			t := towns[code]
			t.Progress = progress(t.YearDone, t.YearList)
			t.Longest = append(t.Longest, longest(code)...)
			c.Towns = append(c.Towns, *t)
			c.Totals.Listed += t.Listed
			c.Totals.NewlyListed += t.NewlyListed
			c.Totals.NewlyUnionized += t.NewlyUnionized
			c.Totals.YearList += t.YearList
			c.Totals.YearDone += t.YearDone
		}
		c.Totals.Progress = progress(c.Totals.YearDone, c.Totals.YearList)
		c.Totals.Longest = append(c.Totals.Longest, longest("")...)
		return nil
	})
	if err != nil {
		return nil, translate(err, "union circular")
	}
	return c, nil
}

func progress(done, of int) *float64 {
	if of == 0 {
		return nil
	}
	p := float64(done) / float64(of)
	return &p
}

// SaveUnionCircular stores a circular: a scheduled build (rebuild false)
// only if none of that unit and period exists, so several replicas store
// it once; a rebuild adds the next revision. It reports whether it stored
// it, and announces a stored circular through the outbox.
func (db *DB) SaveUnionCircular(ctx context.Context, c *gridwarn.UnionCircular, by string, rebuild bool) (bool, error) {
	return db.saveRevision(ctx, "union_circulars", "period", c.UnitCode, c.Period, by, rebuild, c, &c.Revision, func() gridwarn.Notification {
		return gridwarn.Notification{Topic: gridwarn.TopicCircularUnionization,
			Subject: gridwarn.SummarySubject(gridwarn.SummaryKindUnionization, c.UnitCode), Payload: gridwarn.NewCircularPayload(c)}
	})
}

// saveRevision stores v (whose revision is *rev) as a revision of (unit,
// key) in table — a table of stored reports: unit_code, keyCol (the period
// or the week), revision, built_by, data — and queues the notification note
// makes of it in the same transaction. A scheduled build (rebuild false)
// stores revision 1 only if none exists, so several replicas store it once;
// a rebuild adds the next revision and keeps the old ones. The stored JSON
// carries its revision, set in the INSERT itself: the row is written once.
func (db *DB) saveRevision(ctx context.Context, table, keyCol, unit, key, by string, rebuild bool, v any, rev *int, note func() gridwarn.Notification) (bool, error) {
	q := `INSERT INTO ` + table + ` (unit_code, ` + keyCol + `, revision, built_by, data) VALUES ($1, $2, 1, $3, $4)
ON CONFLICT DO NOTHING RETURNING revision`
	if rebuild {
		q = `INSERT INTO ` + table + ` (unit_code, ` + keyCol + `, revision, built_by, data)
SELECT $1, $2, m.r, $3, jsonb_set($4::jsonb, '{revision}', to_jsonb(m.r))
FROM (SELECT coalesce(max(revision), 0) + 1 AS r FROM ` + table + ` WHERE unit_code = $1 AND ` + keyCol + ` = $2) m
RETURNING revision`
	}
	stored := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		*rev = 1 // what a first revision stores; a rebuild's is set by the INSERT
		data, err := json.Marshal(v)
		*rev = 0
		if err != nil {
			return err
		}
		var n int
		err = tx.QueryRow(ctx, q, unit, key, by, data).Scan(&n)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		*rev, stored = n, true
		var st stmts
		queueNotification(&st, note(), "", unit)
		return st.send(ctx, tx)
	})
	if err != nil {
		return false, translate(err, table)
	}
	return stored, nil
}

// LatestCircularMonth is the latest month with a stored circular ("" if none).
func (db *DB) LatestCircularMonth(ctx context.Context) (string, error) {
	return db.latestMonth(ctx, "union_circulars")
}

// latestMonth is the latest month stored in a table of stored reports.
func (db *DB) latestMonth(ctx context.Context, table string) (string, error) {
	var m *string
	if err := db.pool.QueryRow(ctx, `SELECT max(period) FROM `+table+` WHERE period NOT LIKE '%Q%'`).Scan(&m); err != nil || m == nil {
		return "", translate(err, table)
	}
	return *m, nil
}

// unitWhere limits w to the stored reports (alias s) of the units v sees:
// a county's and its towns', or a town's own.
func unitWhere(w *where, v gridwarn.Visibility) {
	switch {
	case v.All:
	case v.CountyCode == "" || len(v.GridCodes) > 0:
		w.conds = append(w.conds, "false")
	case v.TownCode != "":
		w.add("s.unit_code = %s", v.TownCode)
	default:
		w.add("left(s.unit_code, 6) = %s", v.CountyCode)
	}
}

// storedList lists (from the read replica, when there is one) the latest revision of each (unit, period) of a table
// of stored reports that v sees and like matches, newest period first.
func (db *DB) storedList(ctx context.Context, table string, v gridwarn.Visibility, like string, limit int) ([]gridwarn.ReportInfo, error) {
	var w where
	unitWhere(&w, v)
	if like != "" {
		w.add("s.period LIKE %s", like)
	}
	rows, _ := db.read.Query(ctx, `SELECT DISTINCT ON (s.period, s.unit_code) s.unit_code, s.period, s.revision, s.built_at
FROM `+table+` s`+w.sql()+` ORDER BY s.period DESC, s.unit_code, s.revision DESC LIMIT `+w.arg(limitOrDefault(limit)), w.args...)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[gridwarn.ReportInfo])
	return out, translate(err, table)
}

// storedOne reads the latest revision of a unit's period from a table of
// stored reports into dst, if v sees the unit; it returns when it was built.
func (db *DB) storedOne(ctx context.Context, table string, v gridwarn.Visibility, unit, period string, dst any) (time.Time, error) {
	var w where
	unitWhere(&w, v)
	w.add("s.unit_code = %s AND s.period = %s", unit, period)
	var data []byte
	var builtAt time.Time
	err := db.read.QueryRow(ctx, `SELECT data, built_at FROM `+table+` s`+w.sql()+` ORDER BY revision DESC LIMIT 1`, w.args...).Scan(&data, &builtAt)
	if err != nil {
		return builtAt, translate(err, table)
	}
	return builtAt, json.Unmarshal(data, dst)
}

// UnionCirculars lists the stored circulars v sees, newest first.
func (db *DB) UnionCirculars(ctx context.Context, v gridwarn.Visibility, limit int) ([]gridwarn.ReportInfo, error) {
	return db.storedList(ctx, "union_circulars", v, "", limit)
}

// UnionCircular returns the latest revision of a unit's period, if v sees
// the unit.
func (db *DB) UnionCircular(ctx context.Context, v gridwarn.Visibility, unit, period string) (*gridwarn.UnionCircular, error) {
	var c gridwarn.UnionCircular
	builtAt, err := db.storedOne(ctx, "union_circulars", v, unit, period, &c)
	if err != nil {
		return nil, err
	}
	c.BuiltAt = builtAt
	return &c, nil
}

// SavePeriodReport stores a monthly or quarterly report, like a circular,
// and announces it.
func (db *DB) SavePeriodReport(ctx context.Context, r *gridwarn.PeriodReport, by string, rebuild bool) (bool, error) {
	return db.saveRevision(ctx, "period_reports", "period", r.UnitCode, r.Period, by, rebuild, r, &r.Revision, func() gridwarn.Notification {
		return gridwarn.Notification{Topic: gridwarn.TopicSummaryPeriod,
			Subject: gridwarn.SummarySubject(gridwarn.SummaryKindOf(r.Kind), r.UnitCode), Payload: gridwarn.NewPeriodPayload(r)}
	})
}

// LatestReportMonth is the latest month with a stored report ("" if none).
func (db *DB) LatestReportMonth(ctx context.Context) (string, error) {
	return db.latestMonth(ctx, "period_reports")
}

// PeriodReports lists the stored reports of a kind that v sees, newest first.
func (db *DB) PeriodReports(ctx context.Context, v gridwarn.Visibility, kind gridwarn.PeriodKind, limit int) ([]gridwarn.ReportInfo, error) {
	like := "%-__"
	if kind == gridwarn.PeriodQuarter {
		like = "%-Q_"
	}
	return db.storedList(ctx, "period_reports", v, like, limit)
}

// PeriodReport returns the latest revision of a unit's report of a period,
// if v sees the unit.
func (db *DB) PeriodReport(ctx context.Context, v gridwarn.Visibility, unit, period string) (*gridwarn.PeriodReport, error) {
	var r gridwarn.PeriodReport
	builtAt, err := db.storedOne(ctx, "period_reports", v, unit, period, &r)
	if err != nil {
		return nil, err
	}
	r.BuiltAt = builtAt
	return &r, nil
}
