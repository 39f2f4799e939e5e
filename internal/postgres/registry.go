package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var _ gridwarn.RegistryService = (*DB)(nil)

// --- units

const unitColumns = `u.code, u.kind, coalesce(u.town_type, ''), coalesce(u.parent_code, ''), u.name_zh, u.name_en`

func scanUnit(row pgx.CollectableRow) (gridwarn.Unit, error) {
	var u gridwarn.Unit
	err := row.Scan(&u.Code, &u.Kind, &u.TownType, &u.ParentCode, &u.NameZH, &u.NameEN)
	return u, err
}

// units limits w to the units v sees: its county and, for a town or grid
// scope, its own town(s).
func (w *where) units(v gridwarn.Visibility) {
	if v.All {
		return
	}
	if v.CountyCode == "" {
		w.conds = append(w.conds, "false")
		return
	}
	w.add("left(u.code, 6) = %s", v.CountyCode)
	if v.TownCode != "" {
		w.add("(u.code = %s OR u.code = %s)", v.TownCode, v.CountyCode)
	}
	if len(v.GridCodes) > 0 {
		w.add("(u.code = %s OR u.code IN (SELECT town_code FROM grids WHERE code = ANY(%s)))", v.CountyCode, v.GridCodes)
	}
}

// Units lists the units v sees, county first.
func (db *DB) Units(ctx context.Context, v gridwarn.Visibility) ([]gridwarn.Unit, error) {
	var w where
	w.units(v)
	rows, _ := db.pool.Query(ctx, "SELECT "+unitColumns+" FROM units u"+w.sql()+" ORDER BY u.code", w.args...)
	us, err := pgx.CollectRows(rows, scanUnit)
	return us, translate(err, "units")
}

// Unit returns one unit that v sees.
func (db *DB) Unit(ctx context.Context, v gridwarn.Visibility, code string) (*gridwarn.Unit, error) {
	var w where
	w.add("u.code = %s", code)
	w.units(v)
	rows, _ := db.pool.Query(ctx, "SELECT "+unitColumns+" FROM units u"+w.sql(), w.args...)
	u, err := pgx.CollectExactlyOneRow(rows, scanUnit)
	if err != nil {
		return nil, translate(err, "unit")
	}
	return &u, nil
}

// PutUnit creates or updates a unit inside v (a county-wide scope may add
// towns; only an unlimited one may add counties).
func (db *DB) PutUnit(ctx context.Context, v gridwarn.Visibility, u gridwarn.Unit) (*gridwarn.Unit, error) {
	if err := validateUnit(u); err != nil {
		return nil, err
	}
	if err := db.hiddenExisting(ctx, v, "SELECT left(code, 6), code, '' FROM units WHERE code = $1", u.Code, "unit"); err != nil {
		return nil, err
	}
	if !v.All && (u.Kind == gridwarn.UnitCounty || !v.Sees(gridwarn.CountyOf(u.Code), u.Code, "") || v.TownCode != "" || len(v.GridCodes) > 0) {
		return nil, gridwarn.Invalid("unit outside your scope", gridwarn.FieldError{Field: "code", Rule: "scope", Message: "lies outside your part of the territory"})
	}
	const q = `
INSERT INTO units (code, kind, town_type, parent_code, name_zh, name_en)
VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, $6)
ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, town_type = excluded.town_type, parent_code = excluded.parent_code,
    name_zh = excluded.name_zh, name_en = excluded.name_en, updated_at = now()`
	if _, err := db.pool.Exec(ctx, q, u.Code, string(u.Kind), string(u.TownType), u.ParentCode, u.NameZH, u.NameEN); err != nil {
		return nil, translate(err, "unit")
	}
	return db.Unit(ctx, gridwarn.Visibility{All: true}, u.Code)
}

func validateUnit(u gridwarn.Unit) error {
	var fs []gridwarn.FieldError
	bad := func(field, rule, msg string) {
		fs = append(fs, gridwarn.FieldError{Field: field, Rule: rule, Message: msg})
	}
	switch u.Kind {
	case gridwarn.UnitCounty:
		if !isDigits(u.Code, 6) {
			bad("code", "pattern", "a county code has 6 digits")
		}
		if u.ParentCode != "" || u.TownType != "" {
			bad("parent_code", "forbidden", "a county has no parent and no town type")
		}
	case gridwarn.UnitTown:
		if !isDigits(u.Code, 9) {
			bad("code", "pattern", "a town code has 9 digits: the county's 6 and 3 more")
		}
		if u.ParentCode != gridwarn.CountyOf(u.Code) {
			bad("parent_code", "match", "must be the first 6 digits of the town code")
		}
		switch u.TownType {
		case gridwarn.TownTown, gridwarn.TownSubdistrict, gridwarn.TownPark:
		default:
			bad("town_type", "enum", "must be town, subdistrict or park")
		}
	default:
		bad("kind", "enum", "must be county or town")
	}
	if u.NameZH == "" {
		bad("name_zh", "required", "is required")
	}
	for _, f := range []*gridwarn.FieldError{gridwarn.CheckText("name_zh", u.NameZH, gridwarn.MaxUnitName),
		gridwarn.CheckText("name_en", u.NameEN, gridwarn.MaxUnitName)} {
		if f != nil {
			fs = append(fs, *f)
		}
	}
	if len(fs) > 0 {
		return gridwarn.Invalid("invalid unit", fs...)
	}
	return nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// --- grids

const gridColumns = `g.code, g.town_code, g.kind, g.name, g.industry,
coalesce((SELECT array_agg(u.username ORDER BY u.username) FROM user_grids ug JOIN users u ON u.id = ug.user_id
          WHERE ug.grid_code = g.code AND u.role = 'grid_worker'), '{}')`

func scanGrid(row pgx.CollectableRow) (gridwarn.Grid, error) {
	var g gridwarn.Grid
	err := row.Scan(&g.Code, &g.TownCode, &g.Kind, &g.Name, &g.Industry, &g.Workers)
	return g, err
}

// Grids lists the grids v sees.
func (db *DB) Grids(ctx context.Context, v gridwarn.Visibility, f gridwarn.GridFilter) ([]gridwarn.Grid, error) {
	var w where
	w.place(v, "left(g.town_code, 6)", "g.town_code", "g.code")
	if f.TownCode != "" {
		w.add("g.town_code = %s", f.TownCode)
	}
	if f.Kind != "" {
		w.add("g.kind = %s", string(f.Kind))
	}
	if f.After != "" {
		w.add("g.code > %s", f.After)
	}
	q := "SELECT " + gridColumns + " FROM grids g" + w.sql() + " ORDER BY g.code LIMIT " + w.arg(limitOrDefault(f.Limit))
	rows, _ := db.pool.Query(ctx, q, w.args...)
	gs, err := pgx.CollectRows(rows, scanGrid)
	return gs, translate(err, "grids")
}

// Grid returns one grid that v sees.
func (db *DB) Grid(ctx context.Context, v gridwarn.Visibility, code string) (*gridwarn.Grid, error) {
	var w where
	w.add("g.code = %s", code)
	w.place(v, "left(g.town_code, 6)", "g.town_code", "g.code")
	rows, _ := db.pool.Query(ctx, "SELECT "+gridColumns+" FROM grids g"+w.sql(), w.args...)
	g, err := pgx.CollectExactlyOneRow(rows, scanGrid)
	if err != nil {
		return nil, translate(err, "grid")
	}
	return &g, nil
}

// PutGrid creates or updates a grid inside v; Workers, when given, replace
// the grid's grid workers (existing users with role grid_worker whom the
// caller may change: see setGridWorkers).
func (db *DB) PutGrid(ctx context.Context, v gridwarn.Visibility, g gridwarn.Grid) (*gridwarn.Grid, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := db.hiddenExisting(ctx, v, "SELECT left(town_code, 6), town_code, code FROM grids WHERE code = $1", g.Code, "grid"); err != nil {
		return nil, err
	}
	if !v.Sees(gridwarn.CountyOf(g.TownCode), g.TownCode, g.Code) || len(v.GridCodes) > 0 {
		return nil, gridwarn.Invalid("grid outside your scope", gridwarn.FieldError{Field: "town_code", Rule: "scope", Message: "lies outside your part of the territory"})
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		const q = `
INSERT INTO grids (code, town_code, kind, name, industry) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (code) DO UPDATE SET town_code = excluded.town_code, kind = excluded.kind, name = excluded.name,
    industry = excluded.industry, updated_at = now()`
		if _, err := tx.Exec(ctx, q, g.Code, g.TownCode, string(g.Kind), g.Name, g.Industry); err != nil {
			return err
		}
		if g.Workers == nil {
			return nil
		}
		return setGridWorkers(ctx, tx, v, g.Code, g.Workers)
	})
	if err != nil {
		return nil, translate(err, "grid")
	}
	if g.Workers != nil {
		db.authChanged() // the workers' scopes changed
	}
	return db.Grid(ctx, gridwarn.Visibility{All: true}, g.Code)
}

// setGridWorkers makes workers the grid workers of grid, as a change to
// each person who joins or leaves it: the caller (who sees v) may add or
// remove only grid workers whose whole scope lies inside v, so a grid's
// worker list widens nobody's scope. A name the caller may not add gets
// the same answer as a name that does not exist. Nobody loses their last
// grid: a grid scope without grids is no scope.
func setGridWorkers(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility, grid string, workers []string) error {
	rows, _ := tx.Query(ctx, "SELECT "+userColumns+` FROM users u
WHERE u.role = 'grid_worker' AND (u.username = ANY($2)
   OR EXISTS (SELECT 1 FROM user_grids ug WHERE ug.user_id = u.id AND ug.grid_code = $1))
ORDER BY u.id FOR UPDATE OF u`, grid, workers)
	people, err := pgx.CollectRows(rows, scanUser)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, w := range workers {
		want[w] = true
	}
	var add, remove []int64
	var fs []gridwarn.FieldError
	known := 0
	for _, u := range people {
		member := slices.Contains(u.Scope.GridCodes, grid)
		switch {
		case want[u.Username] && member:
			known++
		case want[u.Username]:
			to := u.Scope
			to.GridCodes = append(slices.Clone(to.GridCodes), grid)
			if u.Scope.Kind != gridwarn.ScopeGrids || gridwarn.MayChangePerson(v, &u.Scope, to) != nil {
				continue // answered as unknown below
			}
			known++
			add = append(add, u.ID)
		case gridwarn.MayChangePerson(v, &u.Scope, u.Scope) != nil:
			fs = append(fs, gridwarn.FieldError{Field: "workers", Rule: "scope",
				Message: u.Username + " also works outside your part of the territory: only an administrator of their whole scope may remove them"})
		case len(u.Scope.GridCodes) == 1:
			fs = append(fs, gridwarn.FieldError{Field: "workers", Rule: "last_grid",
				Message: u.Username + " has no other grid: give them another grid first"})
		default:
			remove = append(remove, u.ID)
		}
	}
	if known != len(want) {
		fs = append(fs, gridwarn.FieldError{Field: "workers", Rule: "exists",
			Message: fmt.Sprintf("%d of %d usernames are not grid workers you manage", len(want)-known, len(want))})
	}
	if len(fs) > 0 {
		return gridwarn.Invalid("grid workers you may not change", fs...)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM user_grids WHERE grid_code = $1 AND user_id = ANY($2)`, grid, remove); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO user_grids (user_id, grid_code) SELECT unnest($2::bigint[]), $1`, grid, add)
	return err
}

// --- enterprises

const enterpriseColumns = `e.credit_code, e.name, e.industry_code, e.ownership, e.headcount, e.has_union,
e.has_mediation_committee, e.compliance_grade, e.registered_capital_cny::float8, e.key_enterprise, e.town_code,
e.grid_code, e.updated_at`

// enterpriseReadColumns are enterpriseColumns and the union status beyond
// has_union (UnionStatus), read by scanEnterprise.
const enterpriseReadColumns = enterpriseColumns + `, coalesce(to_char(e.union_since, 'YYYY-MM-DD'), ''),
e.union_members, e.joint_union, coalesce(to_char(e.opened_on, 'YYYY-MM-DD'), ''), e.village`

func scanEnterprise(row pgx.CollectableRow) (gridwarn.Enterprise, error) {
	var e gridwarn.Enterprise
	err := row.Scan(&e.CreditCode, &e.Name, &e.IndustryCode, &e.Ownership, &e.Headcount, &e.HasUnion,
		&e.HasMediationCommittee, &e.ComplianceGrade, &e.RegisteredCapitalCNY, &e.KeyEnterprise, &e.TownCode,
		&e.GridCode, &e.UpdatedAt, &e.UnionSince, &e.UnionMembers, &e.JointUnion, &e.OpenedOn, &e.Village)
	return e, err
}

func (w *where) enterprises(v gridwarn.Visibility) {
	w.place(v, "left(e.town_code, 6)", "e.town_code", "e.grid_code")
}

// Enterprises lists the enterprises v sees and f selects.
func (db *DB) Enterprises(ctx context.Context, v gridwarn.Visibility, f gridwarn.EnterpriseFilter) ([]gridwarn.Enterprise, error) {
	var w where
	w.enterprises(v)
	if f.TownCode != "" {
		w.add("e.town_code = %s", f.TownCode)
	}
	if f.GridCode != "" {
		w.add("e.grid_code = %s", f.GridCode)
	}
	if f.Query != "" {
		w.add("(e.name LIKE '%%' || %s || '%%' OR e.credit_code LIKE %s || '%%')", f.Query, f.Query)
	}
	if f.After != "" {
		w.add("e.credit_code > %s", f.After)
	}
	q := "SELECT " + enterpriseReadColumns + " FROM enterprises e" + w.sql() + " ORDER BY e.credit_code LIMIT " + w.arg(limitOrDefault(f.Limit))
	rows, _ := db.pool.Query(ctx, q, w.args...)
	es, err := pgx.CollectRows(rows, scanEnterprise)
	return es, translate(err, "enterprises")
}

// Enterprise returns one enterprise that v sees.
func (db *DB) Enterprise(ctx context.Context, v gridwarn.Visibility, code string) (*gridwarn.Enterprise, error) {
	var w where
	w.add("e.credit_code = %s", code)
	w.enterprises(v)
	rows, _ := db.pool.Query(ctx, "SELECT "+enterpriseReadColumns+" FROM enterprises e"+w.sql(), w.args...)
	e, err := pgx.CollectExactlyOneRow(rows, scanEnterprise)
	if err != nil {
		return nil, translate(err, "enterprise")
	}
	return &e, nil
}

// EnterprisesByCode returns the registered enterprises among codes.
func (db *DB) EnterprisesByCode(ctx context.Context, codes []string) (map[string]gridwarn.Enterprise, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+enterpriseReadColumns+" FROM enterprises e WHERE e.credit_code = ANY($1)", codes)
	es, err := pgx.CollectRows(rows, scanEnterprise)
	if err != nil {
		return nil, translate(err, "enterprises")
	}
	out := make(map[string]gridwarn.Enterprise, len(es))
	for _, e := range es {
		out[e.CreditCode] = e
	}
	return out, nil
}

// PutEnterprise creates or updates one enterprise inside v.
func (db *DB) PutEnterprise(ctx context.Context, v gridwarn.Visibility, e gridwarn.Enterprise) (*gridwarn.Enterprise, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if err := db.hiddenExisting(ctx, v, "SELECT left(town_code, 6), town_code, grid_code FROM enterprises WHERE credit_code = $1", e.CreditCode, "enterprise"); err != nil {
		return nil, err
	}
	if _, err := db.ImportEnterprises(ctx, v, []gridwarn.Enterprise{e}, false); err != nil {
		return nil, err
	}
	return db.Enterprise(ctx, gridwarn.Visibility{All: true}, e.CreditCode)
}

// ImportEnterprises upserts enterprises by credit code in one transaction:
// all or none. Every enterprise must be valid (Enterprise.Validate) and lie inside v, in an existing town and
// grid of that town. Rows identical to what is stored are left untouched,
// so re-importing a file changes nothing. A dry run reports and rolls back.
func (db *DB) ImportEnterprises(ctx context.Context, v gridwarn.Visibility, es []gridwarn.Enterprise, dryRun bool) (gridwarn.ImportResult, error) {
	return db.ImportEnterprisesAsOf(ctx, v, es, "", dryRun)
}

// ImportEnterprisesAsOf is ImportEnterprises of a registry dated asOf
// ("": today): the history of union status keeps what it changes (a new
// enterprise, a headcount, has_union) at that day, and a registry older
// than that history for one of its enterprises is refused — as a union
// status import (ImportUnionStatus) is.
func (db *DB) ImportEnterprisesAsOf(ctx context.Context, v gridwarn.Visibility, es []gridwarn.Enterprise, asOf string, dryRun bool) (gridwarn.ImportResult, error) {
	res := gridwarn.ImportResult{Rows: len(es), DryRun: dryRun}
	today := gridwarn.DayOf(db.now(), db.loc)
	day, err := gridwarn.ParseAsOf(asOf, today)
	if err != nil {
		return res, err
	}
	var fs []gridwarn.FieldError
	for i, e := range es {
		for _, f := range gridwarn.ErrorFields(e.Validate()) {
			f.Field = fmt.Sprintf("[%d].%s", i, f.Field)
			fs = append(fs, f)
		}
		if !v.Sees(gridwarn.CountyOf(e.TownCode), e.TownCode, e.GridCode) {
			fs = append(fs, gridwarn.FieldError{Field: fmt.Sprintf("[%d].town_code", i), Rule: "scope", Message: "lies outside your part of the territory"})
		}
	}
	if len(fs) > 0 {
		return res, gridwarn.Invalid("invalid enterprises", fs...)
	}
	es = slices.Clone(es)
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := place(ctx, tx, es, db.threshold); err != nil {
			return err
		}
		n := len(es)
		cols := struct {
			code, name, industry, ownership, grade, town, grid, village []string
			headcount                                                   []int32
			union, committee, key                                       []bool
			capital                                                     []float64
		}{}
		for _, e := range es {
			cols.code = append(cols.code, e.CreditCode)
			cols.name = append(cols.name, e.Name)
			cols.industry = append(cols.industry, e.IndustryCode)
			cols.ownership = append(cols.ownership, string(e.Ownership))
			cols.grade = append(cols.grade, e.ComplianceGrade)
			cols.town = append(cols.town, e.TownCode)
			cols.grid = append(cols.grid, e.GridCode)
			cols.village = append(cols.village, e.Village)
			cols.headcount = append(cols.headcount, int32(e.Headcount))
			cols.union = append(cols.union, e.HasUnion)
			cols.committee = append(cols.committee, e.HasMediationCommittee)
			cols.key = append(cols.key, e.KeyEnterprise)
			cols.capital = append(cols.capital, e.RegisteredCapitalCNY)
		}
		// An enterprise already registered outside v may not be taken over.
		if !v.All {
			rows, _ := tx.Query(ctx, `SELECT credit_code, left(town_code, 6), town_code, grid_code FROM enterprises WHERE credit_code = ANY($1)`, cols.code)
			var code, county, town, grid string
			var hidden []gridwarn.FieldError
			if _, err := pgx.ForEachRow(rows, []any{&code, &county, &town, &grid}, func() error {
				if !v.Sees(county, town, grid) {
					hidden = append(hidden, gridwarn.FieldError{Field: "credit_code", Rule: "scope",
						Message: code + " is registered outside your part of the territory"})
				}
				return nil
			}); err != nil {
				return err
			}
			if len(hidden) > 0 {
				return gridwarn.Invalid("enterprises outside your scope", hidden...)
			}
		}
		// The grid must be a grid of the enterprise's town.
		rows, _ := tx.Query(ctx, `
SELECT i.code FROM unnest($1::text[], $2::text[], $3::text[]) AS i(code, town, grid)
LEFT JOIN grids g ON g.code = i.grid AND g.town_code = i.town
WHERE g.code IS NULL`, cols.code, cols.town, cols.grid)
		misplaced, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(misplaced) > 0 {
			return gridwarn.Invalid("unknown town or grid", gridwarn.FieldError{Field: "grid_code", Rule: "exists",
				Message: fmt.Sprintf("%d enterprise(s) name a grid that is not a grid of their town, e.g. %s", len(misplaced), misplaced[0])})
		}
		checkDated, err := db.datedChanges(ctx, tx, day, today)
		if err != nil {
			return err
		}
		const q = `
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bool[], $7::bool[],
                         $8::text[], $9::numeric[], $10::bool[], $11::text[], $12::text[], $13::text[])
        AS i(credit_code, name, industry_code, ownership, headcount, has_union, has_mediation_committee,
             compliance_grade, registered_capital_cny, key_enterprise, town_code, grid_code, village)
), upsert AS (
    INSERT INTO enterprises AS e (credit_code, name, industry_code, ownership, headcount, has_union,
        has_mediation_committee, compliance_grade, registered_capital_cny, key_enterprise, town_code, grid_code,
        village)
    SELECT * FROM input
    ON CONFLICT (credit_code) DO UPDATE SET
        name = excluded.name, industry_code = excluded.industry_code, ownership = excluded.ownership,
        headcount = excluded.headcount, has_union = excluded.has_union,
        has_mediation_committee = excluded.has_mediation_committee, compliance_grade = excluded.compliance_grade,
        registered_capital_cny = excluded.registered_capital_cny, key_enterprise = excluded.key_enterprise,
        town_code = excluded.town_code, grid_code = excluded.grid_code, updated_at = now(),
        -- The village is an optional column: a file or form without it
        -- keeps the registry's.
        village = CASE WHEN excluded.village <> '' THEN excluded.village ELSE e.village END,
        -- A union of its own ends the joint union's membership; no union
        -- of its own has no founding day nor members.
        joint_union = CASE WHEN excluded.has_union THEN '' ELSE e.joint_union END,
        union_since = CASE WHEN excluded.has_union THEN e.union_since END,
        union_members = CASE WHEN excluded.has_union THEN e.union_members ELSE 0 END
    WHERE (e.name, e.industry_code, e.ownership, e.headcount, e.has_union, e.has_mediation_committee,
           e.compliance_grade, e.registered_capital_cny, e.key_enterprise, e.town_code, e.grid_code,
           CASE WHEN excluded.village <> '' THEN e.village ELSE '' END)
      IS DISTINCT FROM
          (excluded.name, excluded.industry_code, excluded.ownership, excluded.headcount, excluded.has_union,
           excluded.has_mediation_committee, excluded.compliance_grade, excluded.registered_capital_cny,
           excluded.key_enterprise, excluded.town_code, excluded.grid_code, excluded.village)
    RETURNING (xmax = 0) AS created
)
SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM upsert`
		if err := tx.QueryRow(ctx, q, cols.code, cols.name, cols.industry, cols.ownership, cols.headcount, cols.union,
			cols.committee, cols.grade, cols.capital, cols.key, cols.town, cols.grid, cols.village).Scan(&res.Created, &res.Updated); err != nil {
			return err
		}
		res.Unchanged = n - res.Created - res.Updated
		if err := checkDated(); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && err != errDryRun {
		return gridwarn.ImportResult{}, translate(err, "import enterprises")
	}
	return res, nil
}

var errDryRun = fmt.Errorf("dry run")

// ExportEnterprises streams every enterprise v sees, by credit code.
func (db *DB) ExportEnterprises(ctx context.Context, v gridwarn.Visibility, yield func(gridwarn.Enterprise) error) error {
	var w where
	w.enterprises(v)
	rows, err := db.pool.Query(ctx, "SELECT "+enterpriseReadColumns+" FROM enterprises e"+w.sql()+" ORDER BY e.credit_code", w.args...)
	if err != nil {
		return translate(err, "export enterprises")
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			return translate(err, "export enterprises")
		}
		if err := yield(e); err != nil {
			return err
		}
	}
	return translate(rows.Err(), "export enterprises")
}

// hiddenExisting returns ENOTFOUND when the object that q (county, town,
// grid of key) finds exists but lies outside v: a change to something the
// caller cannot see must not reveal that it exists.
func (db *DB) hiddenExisting(ctx context.Context, v gridwarn.Visibility, q, key, what string) error {
	var county, town, grid string
	err := db.pool.QueryRow(ctx, q, key).Scan(&county, &town, &grid)
	if err == pgx.ErrNoRows {
		return nil
	}
	if err != nil {
		return translate(err, what)
	}
	if !v.Sees(county, town, grid) {
		return gridwarn.Errorf(gridwarn.ENOTFOUND, "%s not found", what)
	}
	return nil
}
