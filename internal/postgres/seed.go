package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Territory is a whole territory to load at once: units, grids,
// enterprises and people (the demo county, or a deployment's first load).
type Territory struct {
	Units       []gridwarn.Unit // counties before their towns
	Grids       []gridwarn.Grid
	Enterprises []gridwarn.Enterprise
	Users       []gridwarn.User
	// AsOf is the day the registry is of ("": today): the history of
	// union status begins then (ImportEnterprisesAsOf).
	AsOf string
}

// LoadTerritory upserts a whole territory in one transaction. Loading the
// same territory twice changes nothing; people keep their ids and tokens.
func (db *DB) LoadTerritory(ctx context.Context, t Territory) error {
	all := gridwarn.Visibility{All: true}
	for _, u := range t.Units {
		if err := validateUnit(u); err != nil {
			return err
		}
	}
	for _, u := range t.Users {
		if err := validateUser(u); err != nil {
			return err
		}
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, u := range t.Units {
			const q = `
INSERT INTO units (code, kind, town_type, parent_code, name_zh, name_en)
VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, $6)
ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, town_type = excluded.town_type,
    parent_code = excluded.parent_code, name_zh = excluded.name_zh, name_en = excluded.name_en
WHERE (units.kind, units.town_type, units.parent_code, units.name_zh, units.name_en) IS DISTINCT FROM
      (excluded.kind, excluded.town_type, excluded.parent_code, excluded.name_zh, excluded.name_en)`
			if _, err := tx.Exec(ctx, q, u.Code, string(u.Kind), string(u.TownType), u.ParentCode, u.NameZH, u.NameEN); err != nil {
				return err
			}
		}
		for _, g := range t.Grids {
			const q = `
INSERT INTO grids (code, town_code, kind, name, industry) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (code) DO UPDATE SET town_code = excluded.town_code, kind = excluded.kind, name = excluded.name,
    industry = excluded.industry
WHERE (grids.town_code, grids.kind, grids.name, grids.industry) IS DISTINCT FROM
      (excluded.town_code, excluded.kind, excluded.name, excluded.industry)`
			if _, err := tx.Exec(ctx, q, g.Code, g.TownCode, string(g.Kind), g.Name, g.Industry); err != nil {
				return err
			}
		}
		for _, u := range t.Users {
			const q = `
INSERT INTO users (username, display_name, role, scope_kind, scope_unit, tier_head)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
    scope_kind = excluded.scope_kind, scope_unit = excluded.scope_unit, tier_head = excluded.tier_head
WHERE (users.display_name, users.role, users.scope_kind, users.scope_unit, users.tier_head) IS DISTINCT FROM
      (excluded.display_name, excluded.role, excluded.scope_kind, excluded.scope_unit, excluded.tier_head)`
			if _, err := tx.Exec(ctx, q, u.Username, u.DisplayName, string(u.Role), string(u.Scope.Kind), u.Scope.UnitCode, u.TierHead); err != nil {
				return err
			}
			if len(u.Scope.GridCodes) > 0 {
				const g = `
INSERT INTO user_grids (user_id, grid_code)
SELECT u.id, g FROM users u, unnest($2::text[]) AS g WHERE u.username = $1
ON CONFLICT DO NOTHING`
				if _, err := tx.Exec(ctx, g, u.Username, u.Scope.GridCodes); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return translate(err, "load territory")
	}
	if len(t.Enterprises) > 0 {
		if _, err := db.ImportEnterprisesAsOf(ctx, all, t.Enterprises, t.AsOf, false); err != nil {
			return err
		}
	}
	return nil
}
