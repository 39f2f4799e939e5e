package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// place fills the grid of every enterprise that names none, by the
// placement rule (gridwarn.Placement): the park's grid for a park town; an
// independent grid of its own (created when needed) from threshold
// workers; else the joint grid of its town and industry section (created
// when needed). It also fills the database defaults of fields a CSV left
// empty.
func place(ctx context.Context, tx pgx.Tx, es []gridwarn.Enterprise, threshold int) error {
	if threshold <= 0 {
		threshold = gridwarn.DefaultIndependentThreshold
	}
	towns := map[string]*gridwarn.Unit{}
	for i := range es {
		e := &es[i]
		if e.ComplianceGrade == "" {
			e.ComplianceGrade = "B"
		}
		if e.Ownership == "" {
			e.Ownership = "private"
		}
		if e.GridCode != "" {
			continue
		}
		town, ok := towns[e.TownCode]
		if !ok {
			rows, _ := tx.Query(ctx, "SELECT "+unitColumns+" FROM units u WHERE u.code = $1 AND u.kind = 'town'", e.TownCode)
			u, err := pgx.CollectExactlyOneRow(rows, scanUnit)
			if err == pgx.ErrNoRows {
				return gridwarn.Invalid("unknown town", gridwarn.FieldError{Field: "town_code", Rule: "exists",
					Message: fmt.Sprintf("%s (enterprise %s) is not a town in the registry", e.TownCode, e.CreditCode)})
			}
			if err != nil {
				return err
			}
			town = &u
			towns[e.TownCode] = town
		}
		var err error
		switch gridwarn.Placement(*town, e.Headcount, threshold) {
		case gridwarn.GridPark:
			err = tx.QueryRow(ctx, `SELECT code FROM grids WHERE town_code = $1 AND kind = 'park' ORDER BY code LIMIT 1`, e.TownCode).Scan(&e.GridCode)
			if err == pgx.ErrNoRows {
				return gridwarn.Invalid("no park grid", gridwarn.FieldError{Field: "grid_code", Rule: "placement",
					Message: fmt.Sprintf("park %s has no park grid yet; create it first", e.TownCode)})
			}
		case gridwarn.GridIndependent:
			// Keep its own independent grid if it has one.
			err = tx.QueryRow(ctx, `
SELECT g.code FROM enterprises e JOIN grids g ON g.code = e.grid_code
WHERE e.credit_code = $1 AND g.kind = 'independent' AND g.town_code = $2`, e.CreditCode, e.TownCode).Scan(&e.GridCode)
			if err == pgx.ErrNoRows {
				e.GridCode, err = newGrid(ctx, tx, e.TownCode, gridwarn.GridIndependent, e.Name+"独立网格", "")
			}
		default:
			section := gridwarn.IndustrySection(e.IndustryCode)
			if section == "" {
				section = "Z"
			}
			err = tx.QueryRow(ctx, `SELECT code FROM grids WHERE town_code = $1 AND kind = 'joint' AND industry = $2 ORDER BY code LIMIT 1`,
				e.TownCode, section).Scan(&e.GridCode)
			if err == pgx.ErrNoRows {
				e.GridCode, err = newGrid(ctx, tx, e.TownCode, gridwarn.GridJoint, town.NameZH+section+"类联合网格", section)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// newGrid creates the next grid of a kind in a town: <town>-I07, <town>-J12.
func newGrid(ctx context.Context, tx pgx.Tx, town string, kind gridwarn.GridKind, name, industry string) (string, error) {
	letter := map[gridwarn.GridKind]string{gridwarn.GridIndependent: "I", gridwarn.GridJoint: "J", gridwarn.GridPark: "P"}[kind]
	var next int
	if err := tx.QueryRow(ctx, `
SELECT coalesce(max(substr(code, 12)::int), 0) + 1 FROM grids WHERE town_code = $1 AND substr(code, 11, 1) = $2`,
		town, letter).Scan(&next); err != nil {
		return "", err
	}
	code := fmt.Sprintf("%s-%s%02d", town, letter, next)
	_, err := tx.Exec(ctx, `INSERT INTO grids (code, town_code, kind, name, industry) VALUES ($1, $2, $3, $4, $5)`,
		code, town, string(kind), name, industry)
	return code, err
}
