package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// RecordVisit stores v, made by p at an enterprise p sees. The same id
// again with the same content is the stored visit (created false); with
// other content, a conflict.
func (db *DB) RecordVisit(ctx context.Context, p *gridwarn.Principal, v gridwarn.Visit) (*gridwarn.Visit, bool, error) {
	if p == nil {
		return nil, false, gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "authentication required")
	}
	if err := v.Validate(db.now(), db.loc); err != nil {
		return nil, false, err
	}
	vis := gridwarn.VisibilityOf(p.Scope)
	var created bool
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var county, town, grid string
		err := tx.QueryRow(ctx, `SELECT left(town_code, 6), town_code, grid_code FROM enterprises WHERE credit_code = $1`,
			v.Enterprise).Scan(&county, &town, &grid)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !vis.Sees(county, town, grid)) {
			return &gridwarn.Error{Code: gridwarn.EUNPROCESSABLE, Message: "unknown enterprise",
				Fields: []gridwarn.FieldError{{Field: "enterprise", Rule: "in_scope", Message: "is unknown or outside your scope"}}}
		}
		if err != nil {
			return err
		}
		if v.TicketID != nil {
			var enterprise string
			err := tx.QueryRow(ctx, `SELECT enterprise FROM tickets t WHERE t.id = $1`, *v.TicketID).Scan(&enterprise)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && enterprise != v.Enterprise) {
				return &gridwarn.Error{Code: gridwarn.EUNPROCESSABLE, Message: "unknown ticket",
					Fields: []gridwarn.FieldError{{Field: "ticket_id", Rule: "of_enterprise", Message: "is not a ticket of this enterprise"}}}
			}
			if err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `
INSERT INTO visits (id, county_code, town_code, grid_code, credit_code, visited_on, kind, people_met, findings,
                    ticket_id, report_id, visitor_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULLIF($11, ''), $12)
ON CONFLICT (id) DO NOTHING`, v.ID, county, town, grid, v.Enterprise, v.VisitedOn, v.Kind, v.PeopleMet, v.Findings,
			v.TicketID, v.ReportID, p.ID)
		created = tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return nil, false, translate(err, "visit")
	}
	got, err := db.visit(ctx, v.ID)
	if err != nil {
		return nil, false, err
	}
	if !created {
		// A retry is the same visit by the same person; anything else
		// reusing the id is refused, not merged.
		same := got.Visitor == p.Username && got.Enterprise == v.Enterprise && got.VisitedOn == v.VisitedOn &&
			got.Kind == v.Kind && got.PeopleMet == v.PeopleMet && got.Findings == v.Findings &&
			got.ReportID == v.ReportID && equalTicket(got.TicketID, v.TicketID)
		if !same {
			return nil, false, gridwarn.Errorf(gridwarn.ECONFLICT, "visit %s was recorded with other content", v.ID)
		}
	}
	return got, created, nil
}

func equalTicket(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

const visitColumns = `x.id, x.credit_code, to_char(x.visited_on, 'YYYY-MM-DD'), x.kind, x.people_met, x.findings,
x.ticket_id, coalesce(x.report_id, ''), e.name, x.town_code, x.grid_code, u.username, x.created_at`

const visitFrom = ` FROM visits x JOIN enterprises e ON e.credit_code = x.credit_code JOIN users u ON u.id = x.visitor_id`

func scanVisit(row pgx.CollectableRow) (gridwarn.Visit, error) {
	var v gridwarn.Visit
	err := row.Scan(&v.ID, &v.Enterprise, &v.VisitedOn, &v.Kind, &v.PeopleMet, &v.Findings, &v.TicketID, &v.ReportID,
		&v.EnterpriseName, &v.TownCode, &v.GridCode, &v.Visitor, &v.CreatedAt)
	return v, err
}

func (db *DB) visit(ctx context.Context, id string) (*gridwarn.Visit, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+visitColumns+visitFrom+" WHERE x.id = $1", id)
	v, err := pgx.CollectExactlyOneRow(rows, scanVisit)
	if err != nil {
		return nil, translate(err, "visit")
	}
	return &v, nil
}

// unit limits w to a unit (county, town or grid code) inside v, on the
// columns county, town and grid; a unit outside v is not found.
func (w *where) unit(v gridwarn.Visibility, unit, county, town, grid string) error {
	w.place(v, county, town, grid)
	switch {
	case unit == "":
	case len(unit) == 6 && v.Sees(unit, "", "") || len(unit) == 6 && v.All:
		w.add(county+" = %s", unit)
	case len(unit) == 9 && (v.All || v.CountyCode == gridwarn.CountyOf(unit) && (v.TownCode == "" || v.TownCode == unit) && len(v.GridCodes) == 0):
		w.add(town+" = %s", unit)
	case len(unit) > 9 && v.Sees(gridwarn.CountyOf(unit), unit[:9], unit):
		w.add(grid+" = %s", unit)
	default:
		return gridwarn.Errorf(gridwarn.ENOTFOUND, "unit %s not found", unit)
	}
	return nil
}

// Visits lists the visits v sees that f selects, newest first.
func (db *DB) Visits(ctx context.Context, v gridwarn.Visibility, f gridwarn.VisitFilter) ([]gridwarn.Visit, error) {
	var w where
	if err := w.unit(v, f.Unit, "x.county_code", "x.town_code", "x.grid_code"); err != nil {
		return nil, err
	}
	if f.Period.Kind != "" {
		w.add("x.visited_on >= %s AND x.visited_on < %s", f.Period.From, f.Period.To)
	}
	if f.Enterprise != "" {
		w.add("x.credit_code = %s", f.Enterprise)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+visitColumns+visitFrom+w.sql()+
		fmt.Sprintf(" ORDER BY x.visited_on DESC, x.created_at DESC, x.id LIMIT %d", limit), w.args...)
	vs, err := pgx.CollectRows(rows, scanVisit)
	return vs, translate(err, "visits")
}

// Coverage counts, for a unit inside v (empty: v's whole scope), the
// enterprises registered now and those visited in period p; its parts are
// the towns of a county, or the grids of a town or of a grid worker.
func (db *DB) Coverage(ctx context.Context, v gridwarn.Visibility, unit string, p gridwarn.Period, t gridwarn.CoverageTarget) (*gridwarn.CoverageReport, error) {
	var w where
	if err := w.unit(v, unit, "left(e.town_code, 6)", "e.town_code", "e.grid_code"); err != nil {
		return nil, err
	}
	from, to := w.arg(p.From), w.arg(p.To)
	rows, _ := db.pool.Query(ctx, `
SELECT e.credit_code, e.town_code, e.grid_code, e.key_enterprise, e.village,
       EXISTS (SELECT 1 FROM visits x WHERE x.credit_code = e.credit_code
                                        AND x.visited_on >= `+from+` AND x.visited_on < `+to+`)
FROM enterprises e`+w.sql()+` ORDER BY e.town_code, e.grid_code, e.credit_code`, w.args...)
	var r gridwarn.CoverageRow
	var all []gridwarn.CoverageRow
	if _, err := pgx.ForEachRow(rows, []any{&r.Enterprise, &r.TownCode, &r.GridCode, &r.Key, &r.Village, &r.Visited}, func() error {
		all = append(all, r)
		return nil
	}); err != nil {
		return nil, translate(err, "coverage")
	}
	if unit == "" {
		unit = scopeUnit(v)
	}
	rep := &gridwarn.CoverageReport{Period: p, From: p.From.Format(time.DateOnly), To: p.To.AddDate(0, 0, -1).Format(time.DateOnly),
		Coverage: gridwarn.CoverageOf(all, t)}
	rep.Unit = unit
	// A county's parts are its towns, a town's (or a set of grids') its grids.
	part := func(r gridwarn.CoverageRow) string { return r.GridCode }
	if len(unit) == 6 {
		part = func(r gridwarn.CoverageRow) string { return r.TownCode }
	}
	byPart := map[string][]gridwarn.CoverageRow{}
	var keys []string
	for _, r := range all {
		k := part(r)
		if _, ok := byPart[k]; !ok {
			keys = append(keys, k)
		}
		byPart[k] = append(byPart[k], r)
	}
	slices.Sort(keys)
	rep.Parts = []gridwarn.Coverage{}
	for _, k := range keys {
		c := gridwarn.CoverageOf(byPart[k], t)
		c.Unit = k
		rep.Parts = append(rep.Parts, c)
		if len(unit) == 6 {
			rep.Towns++
			if c.Visited > 0 {
				rep.TownsVisited++
			}
		}
	}
	rep.Villages = gridwarn.VillageCoverageOf(all, t.Villages)
	return rep, nil
}

// scopeUnit names the unit of a visibility: its town, its county, or
// "grids" for a grid worker's set of grids.
func scopeUnit(v gridwarn.Visibility) string {
	switch {
	case len(v.GridCodes) > 0:
		return "grids"
	case v.TownCode != "":
		return v.TownCode
	}
	return v.CountyCode
}

// OverdueVisits lists the enterprises of a unit inside v (empty: v's
// scope) that are past due a visit on the county's today.
func (db *DB) OverdueVisits(ctx context.Context, v gridwarn.Visibility, unit string) ([]gridwarn.OverdueVisit, error) {
	var w where
	if err := w.unit(v, unit, "left(e.town_code, 6)", "e.town_code", "e.grid_code"); err != nil {
		return nil, err
	}
	rows, _ := db.pool.Query(ctx, `
SELECT e.credit_code, e.name, e.town_code, e.grid_code, e.key_enterprise,
       (SELECT max(x.visited_on) FROM visits x WHERE x.credit_code = e.credit_code)
FROM enterprises e`+w.sql(), w.args...)
	today := gridwarn.DayOf(db.now(), db.loc)
	out := []gridwarn.OverdueVisit{}
	var o gridwarn.OverdueVisit
	var last *time.Time
	if _, err := pgx.ForEachRow(rows, []any{&o.CreditCode, &o.Name, &o.TownCode, &o.GridCode, &o.Key, &last}, func() error {
		var l time.Time
		if last != nil {
			l = time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC)
		}
		due, overdue := gridwarn.VisitDue(o.Key, l, today)
		if !overdue {
			return nil
		}
		item := o
		if last != nil {
			item.LastVisit, item.Due = l.Format(time.DateOnly), due.Format(time.DateOnly)
			item.DaysLate = int(today.Sub(due).Hours() / 24)
		}
		out = append(out, item)
		return nil
	}); err != nil {
		return nil, translate(err, "visits")
	}
	slices.SortFunc(out, func(a, b gridwarn.OverdueVisit) int {
		switch {
		case (a.LastVisit == "") != (b.LastVisit == ""):
			if a.LastVisit == "" {
				return -1
			}
			return 1
		case a.Key != b.Key:
			if a.Key {
				return -1
			}
			return 1
		case a.DaysLate != b.DaysLate:
			return b.DaysLate - a.DaysLate
		}
		return strings.Compare(a.CreditCode, b.CreditCode)
	})
	return out, nil
}
