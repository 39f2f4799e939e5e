package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// PutUnionStatus sets the union status of an enterprise inside v (404
// outside it); the history keeps the change (a trigger).
func (db *DB) PutUnionStatus(ctx context.Context, v gridwarn.Visibility, code string, u gridwarn.UnionStatus) (*gridwarn.Enterprise, error) {
	if err := u.Validate(gridwarn.DayOf(db.now(), db.loc)); err != nil {
		return nil, err
	}
	if _, err := db.Enterprise(ctx, v, code); err != nil {
		return nil, err
	}
	_, err := db.pool.Exec(ctx, `
UPDATE enterprises SET has_union = $2, union_since = NULLIF($3, '')::date, union_members = $4, joint_union = $5,
       has_mediation_committee = $6, opened_on = NULLIF($7, '')::date, updated_at = now()
WHERE credit_code = $1
  AND (has_union, union_since, union_members, joint_union, has_mediation_committee, opened_on)
      IS DISTINCT FROM ($2, NULLIF($3, '')::date, $4, $5, $6, NULLIF($7, '')::date)`,
		code, u.HasUnion, u.UnionSince, u.UnionMembers, u.JointUnion, u.HasMediationCommittee, u.OpenedOn)
	if err != nil {
		return nil, translate(err, "enterprise")
	}
	return db.Enterprise(ctx, v, code)
}

// Unionization draws the list of a unit inside v (empty: v's scope) on
// the county's today, with the enterprises unionized this month so far.
func (db *DB) Unionization(ctx context.Context, v gridwarn.Visibility, unit string) (*gridwarn.UnionizationList, error) {
	var w where
	if err := w.unit(v, unit, "left(e.town_code, 6)", "e.town_code", "e.grid_code"); err != nil {
		return nil, err
	}
	w.add("NOT e.has_union AND e.headcount >= %s", gridwarn.UnionizationHeadcount)
	rows, _ := db.pool.Query(ctx, "SELECT "+enterpriseReadColumns+" FROM enterprises e"+w.sql()+
		" ORDER BY e.town_code, e.headcount DESC, e.credit_code", w.args...)
	es, err := pgx.CollectRows(rows, scanEnterprise)
	if err != nil {
		return nil, translate(err, "enterprises")
	}
	now := db.now()
	today := gridwarn.DayOf(now, db.loc)
	param := unit
	if unit == "" {
		unit = scopeUnit(v)
	}
	l := &gridwarn.UnionizationList{Unit: unit, Day: today.Format(time.DateOnly), Items: []gridwarn.UnionizationItem{},
		NewlyUnionized: []string{}}
	for _, e := range es {
		r := gridwarn.UnionizationReasonOf(e, today)
		if r == "" {
			if e.JointUnion == "" && e.OpenedOn == "" {
				l.OpeningUnknown++
			}
			continue
		}
		l.Items = append(l.Items, gridwarn.UnionizationItem{CreditCode: e.CreditCode, Name: e.Name, TownCode: e.TownCode,
			GridCode: e.GridCode, Headcount: e.Headcount, OpenedOn: e.OpenedOn, JointUnion: e.JointUnion, Reason: r,
			HundredPlus: gridwarn.HundredPlus(e)})
	}
	// Newly unionized: a change from no union to one this month, on the
	// county's calendar.
	month := gridwarn.PeriodOf(gridwarn.PeriodMonth, now, db.loc)
	from := time.Date(month.From.Year(), month.From.Month(), 1, 0, 0, 0, 0, db.loc)
	var hw where
	_ = hw.unit(v, param, "left(e.town_code, 6)", "e.town_code", "e.grid_code") // checked above
	hw.add("h.has_union AND h.at >= %s", from)
	rows, _ = db.pool.Query(ctx, `
SELECT DISTINCT h.credit_code
FROM enterprise_union_history h JOIN enterprises e ON e.credit_code = h.credit_code`+hw.sql()+`
  AND (SELECT p.has_union FROM enterprise_union_history p
       WHERE p.credit_code = h.credit_code AND (p.at, p.id) < (h.at, h.id)
       ORDER BY p.at DESC, p.id DESC LIMIT 1) = false
ORDER BY 1`, hw.args...)
	l.NewlyUnionized, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, translate(err, "enterprise_union_history")
	}
	if l.NewlyUnionized == nil {
		l.NewlyUnionized = []string{}
	}
	return l, nil
}

// ImportUnionStatus sets the union status (and, where given, the headcount)
// of registered enterprises inside v in one transaction: all rows or none.
// An enterprise unknown or outside v is a row error that says no more.
// asOf is the day of the list ("": today): the history keeps the changes
// at that day, the rows are checked against it (no union founded after
// it), and a list older than the history of one of its enterprises is
// refused.
func (db *DB) ImportUnionStatus(ctx context.Context, v gridwarn.Visibility, rows []gridwarn.UnionRow, asOf string, dryRun bool) (gridwarn.ImportResult, error) {
	res := gridwarn.ImportResult{Rows: len(rows), DryRun: dryRun}
	today := gridwarn.DayOf(db.now(), db.loc)
	day, err := gridwarn.ParseAsOf(asOf, today)
	if err != nil {
		return res, err
	}
	var fs []gridwarn.FieldError
	codes := make([]string, len(rows))
	first := map[string]int{}
	for i, r := range rows {
		codes[i] = r.CreditCode
		if j, dup := first[r.CreditCode]; dup {
			fs = append(fs, gridwarn.FieldError{Field: fmt.Sprintf("[%d].credit_code", i), Rule: "unique",
				Message: fmt.Sprintf("is also row %d's", j)})
		}
		first[r.CreditCode] = i
		for _, f := range gridwarn.ErrorFields(r.Validate(day)) {
			f.Field = fmt.Sprintf("[%d].%s", i, f.Field)
			fs = append(fs, f)
		}
		if r.Headcount != nil && *r.Headcount < 0 {
			fs = append(fs, gridwarn.FieldError{Field: fmt.Sprintf("[%d].headcount", i), Rule: "range", Message: "must be 0 or more"})
		}
	}
	if len(fs) > 0 {
		return res, gridwarn.Invalid("invalid union status", fs...)
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var w where
		w.enterprises(v)
		w.add("e.credit_code = ANY(%s)", codes)
		q, _ := tx.Query(ctx, "SELECT e.credit_code FROM enterprises e"+w.sql(), w.args...)
		found, err := pgx.CollectRows(q, pgx.RowTo[string])
		if err != nil {
			return err
		}
		seen := make(map[string]bool, len(found))
		for _, c := range found {
			seen[c] = true
		}
		for i, c := range codes {
			if !seen[c] {
				fs = append(fs, gridwarn.FieldError{Field: fmt.Sprintf("[%d].credit_code", i), Rule: "in_scope",
					Message: c + " is not registered in your part of the territory"})
			}
		}
		if len(fs) > 0 {
			return gridwarn.Invalid("enterprises not registered in your scope", fs...)
		}
		checkDated, err := db.datedChanges(ctx, tx, day, today)
		if err != nil {
			return err
		}
		var (
			union, committee     []bool
			since, joint, opened []string
			members, headcount   []int32
			hasHeadcount         []bool
		)
		for _, r := range rows {
			union, committee = append(union, r.HasUnion), append(committee, r.HasMediationCommittee)
			since, joint, opened = append(since, r.UnionSince), append(joint, r.JointUnion), append(opened, r.OpenedOn)
			members = append(members, int32(r.UnionMembers))
			n := int32(0)
			if r.Headcount != nil {
				n = int32(*r.Headcount)
			}
			headcount, hasHeadcount = append(headcount, n), append(hasHeadcount, r.Headcount != nil)
		}
		tag, err := tx.Exec(ctx, `
UPDATE enterprises e SET has_union = i.has_union, union_since = NULLIF(i.since, '')::date, union_members = i.members,
       joint_union = i.joint, has_mediation_committee = i.committee, opened_on = NULLIF(i.opened, '')::date,
       headcount = CASE WHEN i.has_headcount THEN i.headcount ELSE e.headcount END, updated_at = now()
FROM unnest($1::text[], $2::bool[], $3::text[], $4::int[], $5::text[], $6::bool[], $7::text[], $8::int[], $9::bool[])
     AS i(code, has_union, since, members, joint, committee, opened, headcount, has_headcount)
WHERE e.credit_code = i.code
  AND (e.has_union, e.union_since, e.union_members, e.joint_union, e.has_mediation_committee, e.opened_on,
       e.headcount)
      IS DISTINCT FROM
      (i.has_union, NULLIF(i.since, '')::date, i.members, i.joint, i.committee, NULLIF(i.opened, '')::date,
       CASE WHEN i.has_headcount THEN i.headcount ELSE e.headcount END)`,
			codes, union, since, members, joint, committee, opened, headcount, hasHeadcount)
		if err != nil {
			return err
		}
		res.Updated = int(tag.RowsAffected())
		res.Unchanged = len(rows) - res.Updated
		if err := checkDated(); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && err != errDryRun {
		return gridwarn.ImportResult{}, translate(err, "import union status")
	}
	return res, nil
}

// datedChanges makes the union status changes of tx (the history lines its
// trigger writes) those of day asOf — its start on the county's calendar —
// unless asOf is today (then now(), as without a date). Call it before the
// writes, and the function it returns after them: that refuses the
// change when an enterprise it changed already has history after that
// moment, so an enterprise's history stays in order, its last line what
// the registry says now, and a list older than one already loaded cannot
// slip under it (an old list that changes nothing is no harm and passes).
func (db *DB) datedChanges(ctx context.Context, tx pgx.Tx, asOf, today time.Time) (func() error, error) {
	if !asOf.Before(today) {
		return func() error { return nil }, nil
	}
	at := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, db.loc)
	if _, err := tx.Exec(ctx, `SELECT set_config('gridwarn.as_of', $1, true)`, at.Format(time.RFC3339Nano)); err != nil {
		return nil, err
	}
	return func() error {
		var (
			code   string
			latest time.Time
			n      int
		)
		err := tx.QueryRow(ctx, `
SELECT n.credit_code, max(o.at), count(*) OVER ()
FROM enterprise_union_history n
JOIN enterprise_union_history o ON o.credit_code = n.credit_code AND o.xmin <> n.xmin AND o.at > n.at
WHERE n.xmin = pg_current_xact_id()::xid
GROUP BY n.credit_code
ORDER BY 2 DESC, 1 LIMIT 1`).Scan(&code, &latest, &n)
		switch {
		case err == pgx.ErrNoRows:
			return nil
		case err != nil:
			return err
		}
		return gridwarn.Errorf(gridwarn.ECONFLICT,
			"the list of %s is older than the union status already loaded for %d of its enterprises (e.g. %s, of %s): load the lists in the order of their days",
			asOf.Format(time.DateOnly), n, code, latest.In(db.loc).Format(time.DateOnly))
	}, nil
}
