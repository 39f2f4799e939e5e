-- The foundation: the inbox that records each event id once, the events,
-- the tickets they are grouped into, each ticket's append-only history and
-- the dead letters that can never succeed as they are.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION level_rank(level text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE level WHEN 'blue' THEN 1 WHEN 'yellow' THEN 2 WHEN 'orange' THEN 3 WHEN 'red' THEN 4 END;
-- +goose StatementEnd

-- One row per event id ever accepted. JetStream's duplicate window covers
-- minutes; this covers forever. The engine claims an id here first
-- (INSERT ... ON CONFLICT DO NOTHING) in the same transaction as its effects.
CREATE TABLE inbox (
    event_id    text        PRIMARY KEY,
    stream_seq  bigint      NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tickets (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enterprise     text        NOT NULL,
    category       text        NOT NULL,
    level          text        NOT NULL CHECK (level IN ('blue', 'yellow', 'orange', 'red')),
    level_rank     smallint    NOT NULL GENERATED ALWAYS AS (level_rank(level)) STORED,
    tier           text        NOT NULL CHECK (tier IN ('enterprise', 'town', 'county')),
    status         text        NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'closed')),
    event_count    integer     NOT NULL CHECK (event_count > 0),
    first_event_at timestamptz NOT NULL,
    last_event_at  timestamptz NOT NULL,
    opened_at      timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz,
    rules_version  text        NOT NULL,
    version        integer     NOT NULL DEFAULT 1,
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
-- At most one open ticket per enterprise and category, whatever the number of engines.
CREATE UNIQUE INDEX tickets_one_open ON tickets (enterprise, category) WHERE status <> 'closed';
CREATE INDEX tickets_status ON tickets (status, id DESC);
CREATE INDEX tickets_enterprise ON tickets (enterprise, id DESC);

CREATE TABLE events (
    id                text        PRIMARY KEY,
    ticket_id         bigint      NOT NULL REFERENCES tickets (id),
    enterprise        text        NOT NULL,
    category          text        NOT NULL,
    occurred_at       timestamptz NOT NULL,
    reported_at       timestamptz,
    workers_involved  integer,
    amount_owed_cny   numeric(16, 2),
    months_in_arrears numeric(8, 2),
    collective        boolean,
    action            text,
    summary           text,
    reporter_kind     text,
    reporter_id       text,
    level             text        NOT NULL,
    decision          jsonb       NOT NULL,
    subject           text        NOT NULL,
    stream_seq        bigint      NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_ticket ON events (ticket_id, occurred_at);
CREATE INDEX events_enterprise ON events (enterprise, occurred_at);
CREATE INDEX events_received ON events (received_at);

CREATE TABLE ticket_history (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id bigint      NOT NULL REFERENCES tickets (id),
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text        NOT NULL,
    kind      text        NOT NULL,
    event_id  text,
    from_value text,
    to_value   text,
    note      text,
    data      jsonb
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

-- The history is append-only: no route and no SQL may change or delete it.
-- +goose StatementBegin
CREATE FUNCTION ticket_history_append_only() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'ticket_history is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER ticket_history_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ticket_history
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_history_append_only();

CREATE TABLE dead_letters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream      text        NOT NULL,
    stream_seq  bigint      NOT NULL,
    subject     text        NOT NULL,
    msg_id      text,
    event_id    text,
    reason      text        NOT NULL,
    detail      text        NOT NULL,
    raw         bytea       NOT NULL,
    deliveries  integer     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- A dead letter recorded but not terminated (crash) is redelivered and
    -- must not be recorded twice.
    UNIQUE (stream, stream_seq)
);
CREATE INDEX dead_letters_reason ON dead_letters (reason, id DESC);

-- +goose Down
DROP TABLE dead_letters;
DROP TABLE ticket_history;
DROP FUNCTION ticket_history_append_only();
DROP TABLE events;
DROP TABLE tickets;
DROP TABLE inbox;
DROP FUNCTION level_rank(text);
