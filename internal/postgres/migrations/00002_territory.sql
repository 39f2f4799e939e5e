-- The territory (counties, towns, grids, enterprises), the people who work
-- it, their bearer tokens, and the columns that let every ticket and event
-- be scoped to a part of the territory.

-- +goose Up
CREATE TABLE units (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3})?$'),
    kind        text NOT NULL CHECK (kind IN ('county', 'town')),
    town_type   text CHECK (town_type IN ('town', 'subdistrict', 'park')),
    parent_code text REFERENCES units (code),
    name_zh     text NOT NULL CHECK (name_zh <> ''),
    name_en     text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'county') = (parent_code IS NULL)),
    CHECK ((kind = 'county') = (length(code) = 6)),
    CHECK (kind = 'county' OR (town_type IS NOT NULL AND left(code, 6) = parent_code))
);

CREATE TABLE grids (
    code       text PRIMARY KEY CHECK (code ~ '^[0-9]{9}-[PIJ][0-9]{2,}$'),
    town_code  text NOT NULL REFERENCES units (code),
    kind       text NOT NULL CHECK (kind IN ('park', 'independent', 'joint')),
    name       text NOT NULL,
    industry   text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (left(code, 9) = town_code),
    CHECK ((kind = 'joint') = (industry <> ''))
);
CREATE INDEX grids_town ON grids (town_code);

CREATE TABLE enterprises (
    credit_code             text PRIMARY KEY CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
    name                    text    NOT NULL CHECK (name <> ''),
    industry_code           text    NOT NULL DEFAULT '',
    ownership               text    NOT NULL DEFAULT 'private',
    headcount               integer NOT NULL DEFAULT 0 CHECK (headcount >= 0),
    has_union               boolean NOT NULL DEFAULT false,
    has_mediation_committee boolean NOT NULL DEFAULT false,
    compliance_grade        text    NOT NULL DEFAULT 'B' CHECK (compliance_grade IN ('A', 'B', 'C')),
    registered_capital_cny  numeric(18, 2) NOT NULL DEFAULT 0 CHECK (registered_capital_cny >= 0),
    key_enterprise          boolean NOT NULL DEFAULT false,
    town_code               text    NOT NULL REFERENCES units (code),
    grid_code               text    NOT NULL REFERENCES grids (code),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX enterprises_town ON enterprises (town_code);
CREATE INDEX enterprises_grid ON enterprises (grid_code);

CREATE TABLE users (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username     text    NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    display_name text    NOT NULL DEFAULT '',
    role         text    NOT NULL CHECK (role IN ('grid_worker', 'reporter', 'mediator', 'leader', 'admin')),
    scope_kind   text    NOT NULL CHECK (scope_kind IN ('county', 'town', 'grids')),
    scope_unit   text    NOT NULL REFERENCES units (code),
    tier_head    boolean NOT NULL DEFAULT false,
    disabled     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope_kind = 'town') = (length(scope_unit) = 9))
);

-- The grids of a person whose scope is a set of grids; for grid workers
-- these are also the grids they are assigned to.
CREATE TABLE user_grids (
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    grid_code text   NOT NULL REFERENCES grids (code),
    PRIMARY KEY (user_id, grid_code)
);
CREATE INDEX user_grids_grid ON user_grids (grid_code);

-- Bearer tokens: only a SHA-256 of the (random, 32-byte) secret is kept.
CREATE TABLE tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id),
    name         text   NOT NULL DEFAULT '',
    prefix       text   NOT NULL,
    hash         bytea  NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX tokens_user ON tokens (user_id);

-- Where each ticket lies, copied from its enterprise when it is opened, so
-- that every list and lookup can be limited to the caller's scope.
ALTER TABLE tickets
    ADD COLUMN county_code text,
    ADD COLUMN town_code   text,
    ADD COLUMN grid_code   text;
UPDATE tickets SET county_code = substr(enterprise, 3, 6);
ALTER TABLE tickets ALTER COLUMN county_code SET NOT NULL;
CREATE INDEX tickets_county ON tickets (county_code, id DESC);
CREATE INDEX tickets_town ON tickets (town_code, id DESC);
CREATE INDEX tickets_grid ON tickets (grid_code, id DESC);

-- Grid workers see the tickets their own reports fed: reports over HTTP
-- carry the worker's username as the reporter id.
CREATE INDEX events_grid_worker ON events (reporter_id, ticket_id) WHERE reporter_kind = 'grid_worker';

-- Dead letters re-driven after the cause was fixed.
ALTER TABLE dead_letters ADD COLUMN replayed_at timestamptz;

-- +goose Down
ALTER TABLE dead_letters DROP COLUMN replayed_at;
DROP INDEX events_grid_worker;
ALTER TABLE tickets DROP COLUMN grid_code, DROP COLUMN town_code, DROP COLUMN county_code;
DROP TABLE tokens;
DROP TABLE user_grids;
DROP TABLE users;
DROP TABLE enterprises;
DROP TABLE grids;
DROP TABLE units;
