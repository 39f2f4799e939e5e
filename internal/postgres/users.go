package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var (
	_ gridwarn.UserService   = (*DB)(nil)
	_ gridwarn.Authenticator = (*DB)(nil)
)

const userColumns = `u.id, u.username, u.display_name, u.role, u.scope_kind, u.scope_unit,
coalesce((SELECT array_agg(ug.grid_code ORDER BY ug.grid_code) FROM user_grids ug WHERE ug.user_id = u.id), '{}'),
u.tier_head, u.disabled, u.created_at`

func scanUser(row pgx.CollectableRow) (gridwarn.User, error) {
	var u gridwarn.User
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Scope.Kind, &u.Scope.UnitCode, &u.Scope.GridCodes,
		&u.TierHead, &u.Disabled, &u.CreatedAt)
	if len(u.Scope.GridCodes) == 0 {
		u.Scope.GridCodes = nil
	}
	return u, err
}

// users limits w to the people v sees: those whose scope lies inside it.
func (w *where) users(v gridwarn.Visibility) {
	if v.All {
		return
	}
	if v.CountyCode == "" {
		w.conds = append(w.conds, "false")
		return
	}
	w.add("left(u.scope_unit, 6) = %s", v.CountyCode)
	if v.TownCode != "" {
		w.add(`(u.scope_unit = %s OR (u.scope_kind = 'grids' AND EXISTS (
    SELECT 1 FROM user_grids ug JOIN grids g ON g.code = ug.grid_code WHERE ug.user_id = u.id AND g.town_code = %s)))`,
			v.TownCode, v.TownCode)
	}
	if len(v.GridCodes) > 0 {
		w.add("EXISTS (SELECT 1 FROM user_grids ug WHERE ug.user_id = u.id AND ug.grid_code = ANY(%s))", v.GridCodes)
	}
}

// Users lists the people v sees.
func (db *DB) Users(ctx context.Context, v gridwarn.Visibility, f gridwarn.UserFilter) ([]gridwarn.User, error) {
	var w where
	w.users(v)
	if f.Role != "" {
		w.add("u.role = %s", string(f.Role))
	}
	if f.AfterID > 0 {
		w.add("u.id > %s", f.AfterID)
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+userColumns+" FROM users u"+w.sql()+" ORDER BY u.id LIMIT "+w.arg(limitOrDefault(f.Limit)), w.args...)
	us, err := pgx.CollectRows(rows, scanUser)
	return us, translate(err, "users")
}

// User returns one person v sees.
func (db *DB) User(ctx context.Context, v gridwarn.Visibility, id int64) (*gridwarn.User, error) {
	var w where
	w.add("u.id = %s", id)
	w.users(v)
	rows, _ := db.pool.Query(ctx, "SELECT "+userColumns+" FROM users u"+w.sql(), w.args...)
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if err != nil {
		return nil, translate(err, "user")
	}
	return &u, nil
}

// UserByName returns a person by username (for the command line).
func (db *DB) UserByName(ctx context.Context, username string) (*gridwarn.User, error) {
	rows, _ := db.pool.Query(ctx, "SELECT "+userColumns+" FROM users u WHERE u.username = $1", username)
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if err != nil {
		return nil, translate(err, "user")
	}
	return &u, nil
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

func validateUser(u gridwarn.User) error { return checkUser(u, false) }

// checkUser checks a person; a partner's account (role partner) is made
// only with its body (CreatePartner: registered true), never on its own, so
// that every partner account has the body its token is scoped to, and a
// platform's only with CreatePlatform.
func checkUser(u gridwarn.User, registered bool) error {
	var fs []gridwarn.FieldError
	bad := func(field, rule, msg string) {
		fs = append(fs, gridwarn.FieldError{Field: field, Rule: rule, Message: msg})
	}
	if !usernameRE.MatchString(u.Username) {
		bad("username", "pattern", "2–64 characters: lowercase letters, digits, '.', '_', '-'")
	}
	if f := gridwarn.CheckText("display_name", u.DisplayName, gridwarn.MaxDisplayName); f != nil {
		fs = append(fs, *f)
	}
	if !u.Role.Valid() {
		bad("role", "enum", "must be grid_worker, reporter, mediator, leader, admin or hotline_operator")
	}
	if u.Role == gridwarn.RoleHotlineOperator && u.Scope.Kind != gridwarn.ScopeCounty {
		bad("scope.kind", "county_only", "a hotline operator works for the whole county: scope kind county")
	} else if u.Role == gridwarn.RolePartner && !registered {
		bad("role", "partner", "a partner's account is registered with its body (POST /api/v1/partners)")
	} else if u.Role == gridwarn.RolePlatform && !registered {
		bad("role", "platform", "a platform's account is registered with POST /api/v1/platforms")
	}
	switch u.Scope.Kind {
	case gridwarn.ScopeCounty:
		if !isDigits(u.Scope.UnitCode, 6) || len(u.Scope.GridCodes) > 0 {
			bad("scope.unit_code", "pattern", "a county scope names a 6-digit county code and no grids")
		}
	case gridwarn.ScopeTown:
		if !isDigits(u.Scope.UnitCode, 9) || len(u.Scope.GridCodes) > 0 {
			bad("scope.unit_code", "pattern", "a town scope names a 9-digit town code and no grids")
		}
	case gridwarn.ScopeGrids:
		if !isDigits(u.Scope.UnitCode, 6) || len(u.Scope.GridCodes) == 0 {
			bad("scope.grid_codes", "required", "a grid scope names its county and at least one grid")
		}
		for _, g := range u.Scope.GridCodes {
			if gridwarn.CountyOf(g) != u.Scope.UnitCode {
				bad("scope.grid_codes", "county", fmt.Sprintf("grid %s is not in county %s", g, u.Scope.UnitCode))
			}
		}
	default:
		bad("scope.kind", "enum", "must be county, town or grids")
	}
	if len(fs) > 0 {
		return gridwarn.Invalid("invalid user", fs...)
	}
	return nil
}

// CreateUser adds a person whose scope lies inside v.
func (db *DB) CreateUser(ctx context.Context, v gridwarn.Visibility, u gridwarn.User) (*gridwarn.User, error) {
	if err := validateUser(u); err != nil {
		return nil, err
	}
	if err := gridwarn.MayChangePerson(v, nil, u.Scope); err != nil {
		return nil, err
	}
	var id int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		const q = `
INSERT INTO users (username, display_name, role, scope_kind, scope_unit, tier_head)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
		if err := tx.QueryRow(ctx, q, u.Username, u.DisplayName, string(u.Role), string(u.Scope.Kind), u.Scope.UnitCode, u.TierHead).Scan(&id); err != nil {
			return err
		}
		if len(u.Scope.GridCodes) == 0 {
			return nil
		}
		tag, err := tx.Exec(ctx, `INSERT INTO user_grids (user_id, grid_code) SELECT $1, code FROM grids WHERE code = ANY($2)`, id, u.Scope.GridCodes)
		if err != nil {
			return err
		}
		if int(tag.RowsAffected()) != len(slices.Compact(slices.Sorted(slices.Values(u.Scope.GridCodes)))) {
			return gridwarn.Invalid("unknown grid", gridwarn.FieldError{Field: "scope.grid_codes", Rule: "exists", Message: "names a grid that does not exist"})
		}
		return nil
	})
	if err != nil {
		return nil, translate(err, "user")
	}
	return db.User(ctx, gridwarn.Visibility{All: true}, id)
}

// userToChange returns a person v sees (ENOTFOUND otherwise) whom the
// caller may change: one whose scope lies entirely inside v (EFORBIDDEN
// otherwise). A token or a password lets its holder act as the person in
// all of their scope, so issuing one is a change to the person.
func (db *DB) userToChange(ctx context.Context, v gridwarn.Visibility, id int64) (*gridwarn.User, error) {
	u, err := db.User(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if err := gridwarn.MayChangePerson(v, &u.Scope, u.Scope); err != nil {
		return nil, err
	}
	return u, nil
}

// tokenPrefix is the start of every token, so that leaked ones are easy to find.
const tokenPrefix = "gw_"

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken issues a bearer token for a person the caller may change
// (see userToChange). The secret is
// returned once; only its SHA-256 is stored (it is 32 random bytes, so a
// slow hash adds nothing).
func (db *DB) CreateToken(ctx context.Context, v gridwarn.Visibility, userID int64, name string, expiresAt *time.Time) (*gridwarn.Token, string, error) {
	u, err := db.userToChange(ctx, v, userID)
	if err != nil {
		return nil, "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	var t gridwarn.Token
	const q = `
INSERT INTO tokens (user_id, name, prefix, hash, expires_at) VALUES ($1, $2, $3, $4, $5)
RETURNING id, user_id, name, prefix, created_at, expires_at`
	if err := db.pool.QueryRow(ctx, q, u.ID, name, secret[:10], hashToken(secret), expiresAt).
		Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.CreatedAt, &t.ExpiresAt); err != nil {
		return nil, "", translate(err, "token")
	}
	t.Username = u.Username
	return &t, secret, nil
}

const tokenColumns = `t.id, t.user_id, u.username, t.name, t.prefix, t.created_at, t.expires_at, t.revoked_at, t.last_used_at`

func scanToken(row pgx.CollectableRow) (gridwarn.Token, error) {
	var t gridwarn.Token
	err := row.Scan(&t.ID, &t.UserID, &t.Username, &t.Name, &t.Prefix, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsedAt)
	return t, err
}

// Tokens lists the tokens of the people v sees (of one person when userID > 0).
func (db *DB) Tokens(ctx context.Context, v gridwarn.Visibility, userID int64) ([]gridwarn.Token, error) {
	var w where
	w.users(v)
	if userID > 0 {
		w.add("t.user_id = %s", userID)
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+tokenColumns+" FROM tokens t JOIN users u ON u.id = t.user_id"+w.sql()+" ORDER BY t.id", w.args...)
	ts, err := pgx.CollectRows(rows, scanToken)
	return ts, translate(err, "tokens")
}

// RevokeToken revokes a token of a person the caller may change (see
// userToChange). Revoking twice is fine.
func (db *DB) RevokeToken(ctx context.Context, v gridwarn.Visibility, tokenID int64) error {
	var owner int64
	switch err := db.pool.QueryRow(ctx, "SELECT user_id FROM tokens WHERE id = $1", tokenID).Scan(&owner); {
	case err == pgx.ErrNoRows:
		return gridwarn.Errorf(gridwarn.ENOTFOUND, "token not found")
	case err != nil:
		return translate(err, "token")
	}
	if _, err := db.userToChange(ctx, v, owner); err != nil {
		if gridwarn.ErrorCode(err) == gridwarn.ENOTFOUND {
			return gridwarn.Errorf(gridwarn.ENOTFOUND, "token not found")
		}
		return err
	}
	var w where
	w.add("t.id = %s", tokenID)
	w.users(v)
	q := "UPDATE tokens t SET revoked_at = coalesce(t.revoked_at, now()) FROM users u WHERE u.id = t.user_id AND " + w.sql()[len(" WHERE "):]
	tag, err := db.pool.Exec(ctx, q, w.args...)
	if err != nil {
		return translate(err, "token")
	}
	if tag.RowsAffected() == 0 {
		return gridwarn.Errorf(gridwarn.ENOTFOUND, "token not found")
	}
	db.authChanged()
	return nil
}

// Authenticate resolves a bearer token. Unknown, revoked and expired
// tokens and disabled people are all the same EUNAUTHORIZED. A token
// resolved within AuthCacheTTL is answered from memory (see authcache.go
// for how a revocation reaches every replica).
func (db *DB) Authenticate(ctx context.Context, secret string) (*gridwarn.Principal, error) {
	unauthorized := gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "authentication required")
	if len(secret) < 16 || len(secret) > 128 {
		return nil, unauthorized
	}
	h := sha256.Sum256([]byte(secret))
	now := time.Now()
	if p, ok := db.auth.get(h, now); ok {
		return &p, nil
	}
	gen := db.auth.generation()
	const q = `
SELECT t.id, t.last_used_at, t.expires_at, ` + userColumns + `
FROM tokens t JOIN users u ON u.id = t.user_id
WHERE t.hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled`
	var (
		p         gridwarn.Principal
		lastUsed  *time.Time
		expiresAt *time.Time
	)
	err := db.pool.QueryRow(ctx, q, h[:]).Scan(&p.TokenID, &lastUsed, &expiresAt, &p.ID, &p.Username, &p.DisplayName, &p.Role,
		&p.Scope.Kind, &p.Scope.UnitCode, &p.Scope.GridCodes, &p.TierHead, &p.Disabled, &p.CreatedAt)
	if err == pgx.ErrNoRows {
		return nil, unauthorized
	}
	if err != nil {
		return nil, translate(err, "authenticate")
	}
	if len(p.Scope.GridCodes) == 0 {
		p.Scope.GridCodes = nil
	}
	// Record use at most once a minute: no write per request.
	if lastUsed == nil || time.Since(*lastUsed) > time.Minute {
		_, _ = db.pool.Exec(ctx, "UPDATE tokens SET last_used_at = now() WHERE id = $1", p.TokenID)
	}
	until := now.Add(AuthCacheTTL)
	if expiresAt != nil && expiresAt.Before(until) {
		until = *expiresAt
	}
	db.auth.put(h, p, until, gen)
	return &p, nil
}
