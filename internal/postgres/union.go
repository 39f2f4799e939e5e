package postgres

import (
	"context"
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
