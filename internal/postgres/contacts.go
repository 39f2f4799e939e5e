package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var _ gridwarn.ContactService = (*DB)(nil)

// contactReplacedByImport is the end reason written when an import moves a person
// to another enterprise.
const contactReplacedByImport = "replaced by an import: linked to another enterprise"

const contactColumns = `c.id, u.username, c.credit_code, c.workers, u.display_name, u.role, e.name, e.town_code, e.grid_code,
c.assigned_by, c.assigned_at, c.ended_at, coalesce(c.ended_by, ''), c.end_reason,
(SELECT to_char(max(x.visited_on), 'YYYY-MM-DD') FROM visits x WHERE x.credit_code = c.credit_code AND x.visitor_id = c.person_id)`

const contactFrom = ` FROM contacts c JOIN users u ON u.id = c.person_id JOIN enterprises e ON e.credit_code = c.credit_code`

func (db *DB) scanContact(row pgx.CollectableRow) (gridwarn.ContactAssignment, error) {
	var c gridwarn.ContactAssignment
	var workers []byte
	var last *string
	if err := row.Scan(&c.ID, &c.Person, &c.Enterprise, &workers, &c.PersonName, &c.PersonRole, &c.EnterpriseName, &c.TownCode,
		&c.GridCode, &c.AssignedBy, &c.AssignedAt, &c.EndedAt, &c.EndedBy, &c.EndReason, &last); err != nil {
		return c, err
	}
	if err := json.Unmarshal(workers, &c.Workers); err != nil {
		return c, err
	}
	if c.Workers == nil {
		c.Workers = []gridwarn.ContactWorker{}
	}
	if last != nil {
		c.LastVisit = *last
		c.VisitedThisYear = c.LastVisit[:4] == db.now().In(db.loc).Format("2006")
	}
	return c, nil
}

// contactsOf limits w to the contacts p reads: leaders and administrators
// those whose enterprise lies in their part of the territory, anyone else
// their own.
func contactsOf(w *where, p *gridwarn.Principal) {
	if p.Role == gridwarn.RoleLeader || p.Role == gridwarn.RoleAdmin {
		w.enterprises(gridwarn.VisibilityOf(p.Scope))
		return
	}
	w.add("c.person_id = %s", p.ID)
}

// Contacts lists the assignments p reads that f selects: current ones
// first, by town and person.
func (db *DB) Contacts(ctx context.Context, p *gridwarn.Principal, f gridwarn.ContactFilter) ([]gridwarn.ContactAssignment, error) {
	if p == nil {
		return nil, gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "authentication required")
	}
	var w where
	contactsOf(&w, p)
	if f.Person != "" {
		w.add("u.username = %s", f.Person)
	}
	if f.Enterprise != "" {
		w.add("c.credit_code = %s", f.Enterprise)
	}
	if !f.Ended {
		w.add("c.ended_at IS NULL")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+contactColumns+contactFrom+w.sql()+
		fmt.Sprintf(" ORDER BY c.ended_at IS NOT NULL, e.town_code, u.username, c.id DESC LIMIT %d", limit), w.args...)
	cs, err := pgx.CollectRows(rows, db.scanContact)
	return cs, translate(err, "contacts")
}

// Contact returns one assignment p reads, with its history.
func (db *DB) Contact(ctx context.Context, p *gridwarn.Principal, id int64) (*gridwarn.ContactAssignment, error) {
	if p == nil {
		return nil, gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "authentication required")
	}
	var w where
	w.add("c.id = %s", id)
	contactsOf(&w, p)
	rows, _ := db.pool.Query(ctx, "SELECT "+contactColumns+contactFrom+w.sql(), w.args...)
	c, err := pgx.CollectExactlyOneRow(rows, db.scanContact)
	if err != nil {
		return nil, translate(err, "contact")
	}
	rows, _ = db.pool.Query(ctx, `SELECT at, by, action, workers, reason FROM contact_history WHERE contact_id = $1 ORDER BY id`, id)
	c.History, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (gridwarn.ContactChange, error) {
		var h gridwarn.ContactChange
		var ws []byte
		if err := r.Scan(&h.At, &h.By, &h.Action, &ws, &h.Reason); err != nil {
			return h, err
		}
		return h, json.Unmarshal(ws, &h.Workers)
	})
	if err != nil {
		return nil, translate(err, "contact history")
	}
	return &c, nil
}

// assigner is the administrator's part of the territory; anyone else may
// not change assignments.
func assigner(p *gridwarn.Principal) (gridwarn.Visibility, error) {
	if p == nil {
		return gridwarn.Visibility{}, gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "authentication required")
	}
	if p.Role != gridwarn.RoleAdmin {
		return gridwarn.Visibility{}, gridwarn.Errorf(gridwarn.EFORBIDDEN, "only an administrator assigns contacts")
	}
	return gridwarn.VisibilityOf(p.Scope), nil
}

// contactPerson checks that u may be linked by an administrator who sees
// v; field names the input.
func contactPerson(v gridwarn.Visibility, u gridwarn.User, field string) *gridwarn.FieldError {
	switch {
	case !v.Holds(u.Scope):
		return &gridwarn.FieldError{Field: field, Rule: "scope",
			Message: "also works outside your part of the territory; only an administrator of their whole scope may assign them"}
	case !slices.Contains(gridwarn.ContactRoles, u.Role):
		return &gridwarn.FieldError{Field: field, Rule: "role", Message: "must be a grid worker, mediator or leader"}
	case u.Disabled:
		return &gridwarn.FieldError{Field: field, Rule: "disabled", Message: "is disabled"}
	}
	return nil
}

// contactEnterprise checks that an enterprise at town/grid lies in the
// person's scope (or they could not record their visits to it).
func contactEnterprise(u gridwarn.User, town, grid, field string) *gridwarn.FieldError {
	if !u.Scope.Contains(town, grid) {
		return &gridwarn.FieldError{Field: field, Rule: "person_scope",
			Message: "lies outside " + u.Username + "'s part of the territory (they could not record a visit there)"}
	}
	return nil
}

// AssignContact links c.Person to c.Enterprise. See gridwarn.ContactService.
func (db *DB) AssignContact(ctx context.Context, by *gridwarn.Principal, c gridwarn.ContactAssignment) (*gridwarn.ContactAssignment, error) {
	v, err := assigner(by)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(gridwarn.DayOf(db.now(), db.loc)); err != nil {
		return nil, err
	}
	var id int64
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var w where
		w.users(v)
		w.add("u.username = %s", c.Person)
		rows, _ := tx.Query(ctx, "SELECT "+userColumns+" FROM users u"+w.sql(), w.args...)
		u, err := pgx.CollectExactlyOneRow(rows, scanUser)
		if errors.Is(err, pgx.ErrNoRows) {
			return &gridwarn.Error{Code: gridwarn.EUNPROCESSABLE, Message: "unknown person",
				Fields: []gridwarn.FieldError{{Field: "person", Rule: "in_scope", Message: "is unknown or outside your scope"}}}
		}
		if err != nil {
			return err
		}
		if f := contactPerson(v, u, "person"); f != nil {
			if f.Rule == "scope" {
				return &gridwarn.Error{Code: gridwarn.EFORBIDDEN, Message: "person " + f.Message}
			}
			return gridwarn.Invalid("invalid person", *f)
		}
		var county, town, grid string
		err = tx.QueryRow(ctx, `SELECT left(town_code, 6), town_code, grid_code FROM enterprises WHERE credit_code = $1`,
			c.Enterprise).Scan(&county, &town, &grid)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !v.Sees(county, town, grid)) {
			return &gridwarn.Error{Code: gridwarn.EUNPROCESSABLE, Message: "unknown enterprise",
				Fields: []gridwarn.FieldError{{Field: "enterprise", Rule: "in_scope", Message: "is unknown or outside your scope"}}}
		}
		if err != nil {
			return err
		}
		if f := contactEnterprise(u, town, grid, "enterprise"); f != nil {
			return gridwarn.Invalid("enterprise outside the person's scope", *f)
		}
		var current string
		err = tx.QueryRow(ctx, `SELECT credit_code FROM contacts WHERE person_id = $1 AND ended_at IS NULL`, u.ID).Scan(&current)
		if err == nil {
			return gridwarn.Errorf(gridwarn.ECONFLICT, "%s is already linked to enterprise %s; end that assignment first", u.Username, current)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		id, err = insertContact(ctx, tx, u.ID, c.Enterprise, c.Workers, by.Username, db.now())
		return err
	})
	if err != nil {
		return nil, contactError(err)
	}
	return db.Contact(ctx, by, id)
}

func insertContact(ctx context.Context, tx pgx.Tx, person int64, enterprise string, ws []gridwarn.ContactWorker, by string, now time.Time) (int64, error) {
	if ws == nil {
		ws = []gridwarn.ContactWorker{}
	}
	var id int64
	err := tx.QueryRow(ctx, `
INSERT INTO contacts (county_code, person_id, credit_code, workers, assigned_by, assigned_at, changed_by, changed_at)
SELECT left(e.town_code, 6), $1, $2, $3, $4, $5, $4, $5 FROM enterprises e WHERE e.credit_code = $2 RETURNING id`, person, enterprise, ws, by, now).Scan(&id)
	return id, err
}

// contactError: a second current assignment that slipped past the check
// (two at once) is the same conflict.
func contactError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "contacts_current_person" {
		return &gridwarn.Error{Code: gridwarn.ECONFLICT, Message: "the person is already linked to an enterprise; end that assignment first", Err: err}
	}
	return translate(err, "contact")
}

// lockContact locks a current assignment the administrator (v) may
// change: its enterprise in v (else not found), its person wholly in v
// (else forbidden), not ended (else a conflict).
func lockContact(ctx context.Context, tx pgx.Tx, v gridwarn.Visibility, id int64) error {
	var w where
	w.add("c.id = %s", id)
	w.enterprises(v)
	var ended *time.Time
	var person int64
	if err := tx.QueryRow(ctx, "SELECT c.ended_at, c.person_id FROM contacts c JOIN enterprises e ON e.credit_code = c.credit_code"+
		w.sql()+" FOR UPDATE OF c", w.args...).Scan(&ended, &person); err != nil {
		return err
	}
	rows, _ := tx.Query(ctx, "SELECT "+userColumns+" FROM users u WHERE u.id = $1", person)
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if err != nil {
		return err
	}
	if !v.Holds(u.Scope) {
		return gridwarn.Errorf(gridwarn.EFORBIDDEN, "%s also works outside your part of the territory; only an administrator of their whole scope may change their assignment", u.Username)
	}
	if ended != nil {
		return gridwarn.Errorf(gridwarn.ECONFLICT, "contact %d has ended; assign again instead", id)
	}
	return nil
}

// ChangeContactWorkers replaces the workers of a current assignment.
func (db *DB) ChangeContactWorkers(ctx context.Context, by *gridwarn.Principal, id int64, ws []gridwarn.ContactWorker) (*gridwarn.ContactAssignment, error) {
	v, err := assigner(by)
	if err != nil {
		return nil, err
	}
	if fs := gridwarn.ValidateContactWorkers(ws, gridwarn.DayOf(db.now(), db.loc)); len(fs) > 0 {
		return nil, gridwarn.Invalid("invalid workers", fs...)
	}
	if ws == nil {
		ws = []gridwarn.ContactWorker{}
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := lockContact(ctx, tx, v, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE contacts SET workers = $2, changed_by = $3, changed_at = $4
WHERE id = $1 AND workers IS DISTINCT FROM $2::jsonb`, id, ws, by.Username, db.now())
		return err
	})
	if err != nil {
		return nil, contactError(err)
	}
	return db.Contact(ctx, by, id)
}

// EndContact ends an assignment; it stays, with who ended it and why.
func (db *DB) EndContact(ctx context.Context, by *gridwarn.Principal, id int64, reason string) (*gridwarn.ContactAssignment, error) {
	v, err := assigner(by)
	if err != nil {
		return nil, err
	}
	if err := gridwarn.CheckEndReason(reason); err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := lockContact(ctx, tx, v, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE contacts SET ended_at = $2, ended_by = $3, end_reason = $4, changed_by = $3, changed_at = $2
WHERE id = $1`, id, db.now(), by.Username, reason)
		return err
	})
	if err != nil {
		return nil, contactError(err)
	}
	return db.Contact(ctx, by, id)
}

// ImportContacts applies whole assignments in one transaction, all rows
// or none. See gridwarn.ContactService.
func (db *DB) ImportContacts(ctx context.Context, by string, v gridwarn.Visibility, rows []gridwarn.ContactRow, dryRun bool) (gridwarn.ImportResult, error) {
	res := gridwarn.ImportResult{Rows: len(rows), DryRun: dryRun}
	today := gridwarn.DayOf(db.now(), db.loc)
	var fs []gridwarn.FieldError
	at := func(i int, field string) string {
		if rows[i].Line > 0 {
			return fmt.Sprintf("line %d: %s", rows[i].Line, field)
		}
		return fmt.Sprintf("[%d].%s", i, field)
	}
	first := map[string]int{}
	var people, codes []string
	for i, r := range rows {
		if j, dup := first[r.Person]; dup {
			fs = append(fs, gridwarn.FieldError{Field: at(i, "person"), Rule: "unique", Message: fmt.Sprintf("is also %s's", at(j, "person"))})
		}
		first[r.Person] = i
		people, codes = append(people, r.Person), append(codes, r.Enterprise)
		for _, f := range gridwarn.ErrorFields(gridwarn.ContactAssignment{Person: r.Person, Enterprise: r.Enterprise, Workers: r.Workers}.Validate(today)) {
			f.Field = at(i, f.Field)
			fs = append(fs, f)
		}
	}
	if len(fs) > 0 {
		return res, gridwarn.Invalid("invalid contacts", fs...)
	}
	now := db.now()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var w where
		w.users(v)
		w.add("u.username = ANY(%s)", people)
		q, _ := tx.Query(ctx, "SELECT "+userColumns+" FROM users u"+w.sql(), w.args...)
		us, err := pgx.CollectRows(q, scanUser)
		if err != nil {
			return err
		}
		byName := make(map[string]gridwarn.User, len(us))
		for _, u := range us {
			byName[u.Username] = u
		}
		w = where{}
		w.enterprises(v)
		w.add("e.credit_code = ANY(%s)", codes)
		type place struct{ town, grid string }
		places := map[string]place{}
		var p place
		var code string
		q, _ = tx.Query(ctx, "SELECT e.credit_code, e.town_code, e.grid_code FROM enterprises e"+w.sql(), w.args...)
		if _, err := pgx.ForEachRow(q, []any{&code, &p.town, &p.grid}, func() error { places[code] = p; return nil }); err != nil {
			return err
		}
		for i, r := range rows {
			u, ok := byName[r.Person]
			if !ok {
				fs = append(fs, gridwarn.FieldError{Field: at(i, "person"), Rule: "in_scope",
					Message: r.Person + " is not a person of your part of the territory"})
			} else if f := contactPerson(v, u, at(i, "person")); f != nil {
				fs = append(fs, *f)
			}
			pl, found := places[r.Enterprise]
			if !found {
				fs = append(fs, gridwarn.FieldError{Field: at(i, "enterprise"), Rule: "in_scope",
					Message: r.Enterprise + " is not registered in your part of the territory"})
			} else if ok {
				if f := contactEnterprise(u, pl.town, pl.grid, at(i, "enterprise")); f != nil {
					fs = append(fs, *f)
				}
			}
		}
		if len(fs) > 0 {
			return gridwarn.Invalid("contacts outside your scope", fs...)
		}
		ids := make([]int64, 0, len(us))
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		type current struct {
			id         int64
			enterprise string
			workers    []gridwarn.ContactWorker
		}
		cur := map[int64]current{}
		var c current
		var person int64
		var ws []byte
		q, _ = tx.Query(ctx, `SELECT id, person_id, credit_code, workers FROM contacts
WHERE person_id = ANY($1) AND ended_at IS NULL ORDER BY id FOR UPDATE`, ids)
		if _, err := pgx.ForEachRow(q, []any{&c.id, &person, &c.enterprise, &ws}, func() error {
			c.workers = nil
			if err := json.Unmarshal(ws, &c.workers); err != nil {
				return err
			}
			cur[person] = c
			return nil
		}); err != nil {
			return err
		}
		for _, r := range rows {
			u := byName[r.Person]
			ws := r.Workers
			if ws == nil {
				ws = []gridwarn.ContactWorker{}
			}
			old, has := cur[u.ID]
			switch {
			case has && old.enterprise == r.Enterprise && slices.Equal(old.workers, ws):
				res.Unchanged++
			case has && old.enterprise == r.Enterprise:
				if _, err := tx.Exec(ctx, `UPDATE contacts SET workers = $2, changed_by = $3, changed_at = $4 WHERE id = $1`,
					old.id, ws, by, now); err != nil {
					return err
				}
				res.Updated++
			default:
				if has {
					if _, err := tx.Exec(ctx, `UPDATE contacts SET ended_at = $2, ended_by = $3, end_reason = $4, changed_by = $3,
       changed_at = $2 WHERE id = $1`, old.id, now, by, contactReplacedByImport); err != nil {
						return err
					}
				}
				if _, err := insertContact(ctx, tx, u.ID, r.Enterprise, ws, by, now); err != nil {
					return err
				}
				res.Created++
			}
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && err != errDryRun {
		return gridwarn.ImportResult{}, contactError(err)
	}
	return res, nil
}
