-- The web console: passwords, sign-in throttling and browser sessions.

-- +goose Up
-- A bcrypt hash; NULL: the person cannot sign in with a password (tokens only).
ALTER TABLE users ADD COLUMN password_hash text;
ALTER TABLE users ADD COLUMN password_set_at timestamptz;

-- Failed sign-ins per username (known or not, so that the lock-out does not
-- reveal which usernames exist). A success removes the row.
CREATE TABLE login_failures (
    username        text        PRIMARY KEY,
    failures        integer     NOT NULL,
    first_failed_at timestamptz NOT NULL,
    locked_until    timestamptz
);

-- Browser sessions: only a SHA-256 of the cookie's secret is kept. The CSRF
-- token is per session (synchronizer token pattern).
CREATE TABLE web_sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash         bytea       NOT NULL UNIQUE,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ip           text        NOT NULL DEFAULT '',
    user_agent   text        NOT NULL DEFAULT ''
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);

-- +goose Down
DROP TABLE web_sessions;
DROP TABLE login_failures;
ALTER TABLE users DROP COLUMN password_set_at;
ALTER TABLE users DROP COLUMN password_hash;
