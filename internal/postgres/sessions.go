package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

var _ gridwarn.SessionService = (*DB)(nil)

// SessionOptions configure password sign-in and browser sessions.
type SessionOptions struct {
	// TTL is how long a session lasts from sign-in (default 12h).
	TTL time.Duration
	// MaxFailures failed sign-ins for one username from one client address
	// within Window lock that pair out for LockFor (defaults 5, 15m, 15m):
	// a stranger locks out their own address, never the person.
	MaxFailures int
	Window      time.Duration
	LockFor     time.Duration
	// BcryptCost is the cost of new password hashes (default 12; tests use
	// bcrypt.MinCost to stay fast).
	BcryptCost int
}

// SessionDefaults are the values used for unset SessionOptions fields.
var SessionDefaults = SessionOptions{TTL: 12 * time.Hour, MaxFailures: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute, BcryptCost: 12}

func (o SessionOptions) withDefaults() SessionOptions {
	d := SessionDefaults
	if o.TTL > 0 {
		d.TTL = o.TTL
	}
	if o.MaxFailures > 0 {
		d.MaxFailures = o.MaxFailures
	}
	if o.Window > 0 {
		d.Window = o.Window
	}
	if o.LockFor > 0 {
		d.LockFor = o.LockFor
	}
	if o.BcryptCost > 0 {
		d.BcryptCost = o.BcryptCost
	}
	return d
}

// dummyHash is compared against when the username is unknown (or has no
// password), so that a wrong username takes as long as a wrong password: it
// has the configured cost, made once.
func (db *DB) dummyHash() []byte {
	db.dummy.once.Do(func() {
		db.dummy.hash, _ = bcrypt.GenerateFromPassword([]byte("gridwarn-no-such-user"), db.sessions.BcryptCost)
	})
	return db.dummy.hash
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// SignIn checks a username and password and opens a session. See
// gridwarn.SessionService for the errors.
func (db *DB) SignIn(ctx context.Context, username, password string, meta gridwarn.SignInMeta) (*gridwarn.Principal, *gridwarn.Session, string, error) {
	unauthorized := gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "wrong username or password")
	if len(username) > 64 || len(password) > 256 {
		return nil, nil, "", unauthorized
	}
	var lockedUntil *time.Time
	err := db.pool.QueryRow(ctx, "SELECT locked_until FROM login_failures WHERE username = $1 AND ip = $2 AND locked_until > now()",
		username, meta.IP).Scan(&lockedUntil)
	if err == nil {
		return nil, nil, "", lockedOut(*lockedUntil)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, "", translate(err, "sign in")
	}

	var (
		p    gridwarn.Principal
		hash *string
	)
	err = db.pool.QueryRow(ctx, "SELECT u.password_hash, "+userColumns+" FROM users u WHERE u.username = $1 AND NOT u.disabled",
		username).Scan(&hash, &p.ID, &p.Username, &p.DisplayName, &p.Role, &p.Scope.Kind, &p.Scope.UnitCode,
		&p.Scope.GridCodes, &p.TierHead, &p.Disabled, &p.CreatedAt)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, "", translate(err, "sign in")
	}
	if hash == nil || bcrypt.CompareHashAndPassword([]byte(*hash), []byte(password)) != nil {
		if hash == nil {
			_ = bcrypt.CompareHashAndPassword(db.dummyHash(), []byte(password))
		}
		locked, err := db.recordFailure(ctx, username, meta.IP)
		if err != nil {
			return nil, nil, "", err
		}
		if locked != nil {
			return nil, nil, "", lockedOut(*locked)
		}
		return nil, nil, "", unauthorized
	}
	if len(p.Scope.GridCodes) == 0 {
		p.Scope.GridCodes = nil
	}

	secret, err := randomSecret()
	if err != nil {
		return nil, nil, "", err
	}
	csrf, err := randomSecret()
	if err != nil {
		return nil, nil, "", err
	}
	s := gridwarn.Session{UserID: p.ID, CSRF: csrf}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM login_failures WHERE username = $1 AND ip = $2", username, meta.IP); err != nil {
			return err
		}
		// Expired sessions go at sign-in time: no job needed.
		if _, err := tx.Exec(ctx, "DELETE FROM web_sessions WHERE expires_at < now() - interval '1 day'"); err != nil {
			return err
		}
		const q = `
INSERT INTO web_sessions (hash, user_id, csrf, expires_at, ip, user_agent)
VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6)
RETURNING id, created_at, expires_at`
		return tx.QueryRow(ctx, q, hashToken(secret), p.ID, csrf, db.sessions.TTL.Seconds(), meta.IP, truncate(meta.UserAgent, 256)).
			Scan(&s.ID, &s.CreatedAt, &s.ExpiresAt)
	})
	if err != nil {
		return nil, nil, "", translate(err, "sign in")
	}
	return &p, &s, secret, nil
}

func lockedOut(until time.Time) error {
	return gridwarn.Errorf(gridwarn.ETOOMANY, "too many failed sign-ins; try again after %s",
		until.In(time.FixedZone("CST", 8*3600)).Format("15:04"))
}

// recordFailure counts a failed sign-in of a username from an address; it
// returns the lock's end when this failure locks the pair out.
func (db *DB) recordFailure(ctx context.Context, username, ip string) (*time.Time, error) {
	const q = `
INSERT INTO login_failures AS f (username, ip, failures, first_failed_at) VALUES ($1, $3, 1, now())
ON CONFLICT (username, ip) DO UPDATE SET
    failures        = CASE WHEN f.first_failed_at < now() - make_interval(secs => $2) THEN 1 ELSE f.failures + 1 END,
    first_failed_at = CASE WHEN f.first_failed_at < now() - make_interval(secs => $2) THEN now() ELSE f.first_failed_at END,
    locked_until    = NULL
RETURNING failures`
	var n int
	if err := db.pool.QueryRow(ctx, q, username, db.sessions.Window.Seconds(), ip).Scan(&n); err != nil {
		return nil, translate(err, "sign in")
	}
	if n < db.sessions.MaxFailures {
		return nil, nil
	}
	var until time.Time
	err := db.pool.QueryRow(ctx, `
UPDATE login_failures SET locked_until = now() + make_interval(secs => $2), failures = 0, first_failed_at = now()
WHERE username = $1 AND ip = $3 RETURNING locked_until`, username, db.sessions.LockFor.Seconds(), ip).Scan(&until)
	if err != nil {
		return nil, translate(err, "sign in")
	}
	return &until, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Session resolves a session cookie's secret.
func (db *DB) Session(ctx context.Context, secret string) (*gridwarn.Principal, *gridwarn.Session, error) {
	unauthorized := gridwarn.Errorf(gridwarn.EUNAUTHORIZED, "authentication required")
	if len(secret) < 16 || len(secret) > 128 {
		return nil, nil, unauthorized
	}
	const q = `
SELECT s.id, s.user_id, s.csrf, s.created_at, s.expires_at, s.last_seen_at, ` + userColumns + `
FROM web_sessions s JOIN users u ON u.id = s.user_id
WHERE s.hash = $1 AND s.expires_at > now() AND NOT u.disabled`
	var (
		p        gridwarn.Principal
		s        gridwarn.Session
		lastSeen time.Time
	)
	err := db.pool.QueryRow(ctx, q, hashToken(secret)).Scan(&s.ID, &s.UserID, &s.CSRF, &s.CreatedAt, &s.ExpiresAt, &lastSeen,
		&p.ID, &p.Username, &p.DisplayName, &p.Role, &p.Scope.Kind, &p.Scope.UnitCode, &p.Scope.GridCodes, &p.TierHead,
		&p.Disabled, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, unauthorized
	}
	if err != nil {
		return nil, nil, translate(err, "session")
	}
	if len(p.Scope.GridCodes) == 0 {
		p.Scope.GridCodes = nil
	}
	if time.Since(lastSeen) > time.Minute {
		_, _ = db.pool.Exec(ctx, "UPDATE web_sessions SET last_seen_at = now() WHERE id = $1", s.ID)
	}
	return &p, &s, nil
}

// SignOut ends the session whose cookie carries secret. Ending a session
// that does not exist is not an error.
func (db *DB) SignOut(ctx context.Context, secret string) error {
	_, err := db.pool.Exec(ctx, "DELETE FROM web_sessions WHERE hash = $1", hashToken(secret))
	return translate(err, "sign out")
}

// SetPassword sets the password of a person the caller may change (see
// userToChange), ends their sessions and lifts any lock-out.
func (db *DB) SetPassword(ctx context.Context, v gridwarn.Visibility, userID int64, password string) error {
	u, err := db.userToChange(ctx, v, userID)
	if err != nil {
		return err
	}
	switch {
	case utf8.RuneCountInString(password) < gridwarn.MinPasswordLength:
		return gridwarn.Invalid("the password is too short", gridwarn.FieldError{Field: "password", Rule: "min_length",
			Message: fmt.Sprintf("use at least %d characters", gridwarn.MinPasswordLength)})
	case len(password) > 72:
		return gridwarn.Invalid("the password is too long", gridwarn.FieldError{Field: "password", Rule: "max_length",
			Message: "use at most 72 bytes"})
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), db.sessions.BcryptCost)
	if err != nil {
		return err
	}
	return translate(pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE users SET password_hash = $2, password_set_at = now(), updated_at = now() WHERE id = $1",
			u.ID, string(hash)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM web_sessions WHERE user_id = $1", u.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM login_failures WHERE username = $1", u.Username)
		return err
	}), "password")
}
