package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// ImportGrids upserts grids by code (and, when a row names workers, sets
// the grid's grid workers) in one transaction: all or none; a dry run
// reports and rolls back. Identical rows change nothing.
func (db *DB) ImportGrids(ctx context.Context, v gridwarn.Visibility, gs []gridwarn.Grid, dryRun bool) (gridwarn.ImportResult, error) {
	res := gridwarn.ImportResult{Rows: len(gs), DryRun: dryRun}
	var fs []gridwarn.FieldError
	for i, g := range gs {
		if !v.Sees(gridwarn.CountyOf(g.TownCode), g.TownCode, g.Code) || len(v.GridCodes) > 0 {
			fs = append(fs, gridwarn.FieldError{Field: fmt.Sprintf("[%d].town_code", i), Rule: "scope", Message: "lies outside your part of the territory"})
		}
	}
	if len(fs) > 0 {
		return res, gridwarn.Invalid("invalid grids", fs...)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, g := range gs {
			const q = `
INSERT INTO grids AS g (code, town_code, kind, name, industry) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (code) DO UPDATE SET town_code = excluded.town_code, kind = excluded.kind, name = excluded.name,
    industry = excluded.industry, updated_at = now()
WHERE (g.town_code, g.kind, g.name, g.industry) IS DISTINCT FROM
      (excluded.town_code, excluded.kind, excluded.name, excluded.industry)
RETURNING (xmax = 0)`
			var created bool
			err := tx.QueryRow(ctx, q, g.Code, g.TownCode, string(g.Kind), g.Name, g.Industry).Scan(&created)
			switch {
			case err == pgx.ErrNoRows:
				res.Unchanged++
			case err != nil:
				return err
			case created:
				res.Created++
			default:
				res.Updated++
			}
			if len(g.Workers) > 0 {
				if err := setGridWorkers(ctx, tx, v, g.Code, g.Workers); err != nil {
					return err
				}
			}
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && err != errDryRun {
		return gridwarn.ImportResult{}, translate(err, "import grids")
	}
	if !dryRun {
		db.authChanged() // grid workers' scopes may have changed
	}
	return res, nil
}

// ImportUsers upserts people by username in one transaction: all or none;
// a dry run reports and rolls back. A person's grids are replaced by the
// row's. Every row is a change to a person (gridwarn.MayChangePerson):
// an existing person's scope and the row's must both lie inside v. Tokens
// are never imported.
func (db *DB) ImportUsers(ctx context.Context, v gridwarn.Visibility, us []gridwarn.User, dryRun bool) (gridwarn.ImportResult, error) {
	res := gridwarn.ImportResult{Rows: len(us), DryRun: dryRun}
	var fs []gridwarn.FieldError
	for i, u := range us {
		if err := validateUser(u); err != nil {
			for _, f := range gridwarn.ErrorFields(err) {
				f.Field = fmt.Sprintf("[%d].%s", i, f.Field)
				fs = append(fs, f)
			}
		} else if gridwarn.MayChangePerson(v, nil, u.Scope) != nil {
			fs = append(fs, gridwarn.FieldError{Field: fmt.Sprintf("[%d].scope", i), Rule: "scope", Message: "lies outside your part of the territory"})
		}
	}
	if len(fs) > 0 {
		return res, gridwarn.Invalid("invalid users", fs...)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// A row about an existing person changes them: their scope now
		// must lie inside v too, or the import would take them over.
		names := make([]string, len(us))
		for i, u := range us {
			names[i] = u.Username
		}
		rows, _ := tx.Query(ctx, "SELECT "+userColumns+" FROM users u WHERE u.username = ANY($1) ORDER BY u.id FOR UPDATE OF u", names)
		existing, err := pgx.CollectRows(rows, scanUser)
		if err != nil {
			return err
		}
		for _, old := range existing {
			if gridwarn.MayChangePerson(v, &old.Scope, old.Scope) != nil {
				i := slices.IndexFunc(us, func(u gridwarn.User) bool { return u.Username == old.Username })
				fs = append(fs, gridwarn.FieldError{Field: fmt.Sprintf("[%d].username", i), Rule: "scope",
					Message: "is a person who works outside your part of the territory"})
			}
		}
		if len(fs) > 0 {
			return gridwarn.Invalid("people outside your scope", fs...)
		}
		for _, u := range us {
			const q = `
INSERT INTO users AS u (username, display_name, role, scope_kind, scope_unit, tier_head)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
    scope_kind = excluded.scope_kind, scope_unit = excluded.scope_unit, tier_head = excluded.tier_head, updated_at = now()
WHERE (u.display_name, u.role, u.scope_kind, u.scope_unit, u.tier_head) IS DISTINCT FROM
      (excluded.display_name, excluded.role, excluded.scope_kind, excluded.scope_unit, excluded.tier_head)
RETURNING (xmax = 0)`
			var created bool
			changed := true
			err := tx.QueryRow(ctx, q, u.Username, u.DisplayName, string(u.Role), string(u.Scope.Kind), u.Scope.UnitCode, u.TierHead).Scan(&created)
			switch {
			case err == pgx.ErrNoRows:
				changed = false
			case err != nil:
				return err
			}
			// The person's grids: replace when they differ.
			tag, err := tx.Exec(ctx, `
WITH me AS (SELECT id FROM users WHERE username = $1),
     want AS (SELECT unnest($2::text[]) AS grid_code),
     gone AS (DELETE FROM user_grids ug USING me WHERE ug.user_id = me.id AND ug.grid_code <> ALL($2::text[]) RETURNING 1),
     added AS (INSERT INTO user_grids (user_id, grid_code) SELECT me.id, want.grid_code FROM me, want ON CONFLICT DO NOTHING RETURNING 1)
SELECT 1 FROM gone UNION ALL SELECT 1 FROM added`, u.Username, nonNilStrings(u.Scope.GridCodes))
			if err != nil {
				return err
			}
			gridsChanged := tag.RowsAffected() > 0
			switch {
			case changed && created:
				res.Created++
			case changed || gridsChanged:
				res.Updated++
			default:
				res.Unchanged++
			}
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && err != errDryRun {
		return gridwarn.ImportResult{}, translate(err, "import users")
	}
	if !dryRun {
		db.authChanged() // roles and scopes may have changed
	}
	return res, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
