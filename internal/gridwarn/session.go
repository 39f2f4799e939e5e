package gridwarn

import (
	"context"
	"time"
)

// Session is a person's signed-in browser session. The cookie carries a
// random secret; the store keeps only its hash.
type Session struct {
	ID        int64
	UserID    int64
	CSRF      string // the synchronizer token every form of the session carries
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SignInMeta describes where a sign-in comes from, for the session list.
type SignInMeta struct {
	IP        string
	UserAgent string
}

// SessionService signs people in with a password and keeps their sessions.
//
// SignIn fails with EUNAUTHORIZED for a wrong username or password, a
// person without a password and a disabled person alike, and with
// ETOOMANY while the username is locked out after repeated failures
// (known usernames and unknown ones are treated the same, so the lock-out
// reveals nothing). Session resolves a cookie's secret; any failure is
// EUNAUTHORIZED.
type SessionService interface {
	SignIn(ctx context.Context, username, password string, meta SignInMeta) (*Principal, *Session, string, error)
	Session(ctx context.Context, secret string) (*Principal, *Session, error)
	SignOut(ctx context.Context, secret string) error
	SetPassword(ctx context.Context, v Visibility, userID int64, password string) error
}

// MinPasswordLength is the shortest password SetPassword accepts.
const MinPasswordLength = 10
