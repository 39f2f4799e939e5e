-- Monthly partitions for the two tables that grow with every event (issue
-- #15 item 4, DECISIONS D4): a year of a province's events keeps the
-- engine's insert cost flat (each insert touches the current month's
-- indexes only), and old months can be detached, archived or dropped whole.
--
-- events is partitioned by received_at - the time the server stored the
-- event - never by the reporter's occurred_at: a late or back-dated report
-- must not land in (and reopen) an old month. ticket_history by at.
--
-- A partitioned table's primary key must contain the partition key, so the
-- key becomes (id, received_at). The event id stays unique across all
-- months because every event is stored through the inbox (unpartitioned,
-- primary key event_id, kept forever) in the same transaction: a second
-- copy of an id is skipped before it reaches events.
--
-- Each table has a DEFAULT partition that catches a row whose month has no
-- partition yet (a clock far off, a partition job that did not run); when
-- the month's partition is created, its rows move out of the default.
-- Partitions are created ahead by the scheduler (job scheduler.partitions)
-- through gridwarn_ensure_partitions, serialized by an advisory lock so
-- that several replicas create each partition once.
--
-- events also gains county_code (the county the enterprise lies in: the
-- 6 digits after the credit code's first two, as tickets.county_code and
-- the event's subject), so that every table of a county's work carries the
-- county: the distribution key if the database is ever spread over Citus
-- workers by county. It is computed from the enterprise (a stored generated
-- column), so no writer can get it wrong or leave it out.

-- +goose Up

-- gridwarn_ensure_month_partition creates parent's partition for the month
-- of day (parent: events or ticket_history) and moves that month's rows out
-- of the default partition. It returns true when it created the partition.
-- +goose StatementBegin
CREATE FUNCTION gridwarn_ensure_month_partition(parent text, day date) RETURNS boolean
    LANGUAGE plpgsql AS
$$
DECLARE
    lo      date := date_trunc('month', day)::date;
    hi      date := (date_trunc('month', day) + interval '1 month')::date;
    part    text := parent || '_' || to_char(day, 'YYYY_MM');
    def     text := parent || '_default';
    -- Months are cut at midnight UTC, whatever the session's time zone.
    lob     text := lo::text || ' 00:00:00+00';
    hib     text := hi::text || ' 00:00:00+00';
    key     text;
    cols    text;
    waiting boolean;
BEGIN
    CASE parent
        WHEN 'events' THEN key := 'received_at';
        WHEN 'ticket_history' THEN key := 'at';
        ELSE RAISE EXCEPTION 'gridwarn_ensure_month_partition: % is not partitioned by month', parent;
    END CASE;
    -- One creator at a time, across every replica and the migration.
    PERFORM pg_advisory_xact_lock(hashtext('gridwarn.partitions'));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= %L AND %I < %L)', def, key, lob, key, hib) INTO waiting;
    IF waiting THEN
        -- The columns an INSERT may write (not the generated ones).
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
        FROM pg_attribute
        WHERE attrelid = parent::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
        EXECUTE format('CREATE TEMP TABLE gridwarn_moving ON COMMIT DROP AS SELECT %s FROM %I WHERE %I >= %L AND %I < %L',
                       cols, def, key, lob, key, hib);
        IF parent = 'ticket_history' THEN
            EXECUTE format('ALTER TABLE %I DISABLE TRIGGER ticket_history_append_only', def);
        END IF;
        EXECUTE format('DELETE FROM %I WHERE %I >= %L AND %I < %L', def, key, lob, key, hib);
        IF parent = 'ticket_history' THEN
            EXECUTE format('ALTER TABLE %I ENABLE TRIGGER ticket_history_append_only', def);
        END IF;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, parent, lob, hib);
    IF parent = 'ticket_history' THEN
        -- The history stays append-only when a partition is written directly.
        EXECUTE format('CREATE TRIGGER ticket_history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION ticket_history_append_only()', part);
    END IF;
    IF waiting THEN
        EXECUTE format('INSERT INTO %I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM gridwarn_moving', parent, cols, cols);
        DROP TABLE gridwarn_moving;
    END IF;
    RETURN true;
END
$$;
-- +goose StatementEnd

-- gridwarn_ensure_partitions creates the partitions of both tables for the
-- month of day and the `ahead` months after it; it returns how many it
-- created.
-- +goose StatementBegin
CREATE FUNCTION gridwarn_ensure_partitions(day date, ahead integer) RETURNS integer
    LANGUAGE plpgsql AS
$$
DECLARE
    created integer := 0;
    m       integer;
    t       text;
BEGIN
    FOR m IN 0..ahead LOOP
        FOREACH t IN ARRAY ARRAY['events', 'ticket_history'] LOOP
            IF gridwarn_ensure_month_partition(t, (date_trunc('month', day) + make_interval(months => m))::date) THEN
                created := created + 1;
            END IF;
        END LOOP;
    END LOOP;
    RETURN created;
END
$$;
-- +goose StatementEnd

-- events: the same columns, plus county_code, partitioned by received_at.
ALTER TABLE events RENAME TO events_flat;
ALTER TABLE events_flat RENAME CONSTRAINT events_pkey TO events_flat_pkey;
DROP INDEX events_ticket, events_enterprise, events_received, events_grid_worker, events_occurred, events_week,
    events_reporter_ticket;

CREATE TABLE events (
    id                text          NOT NULL,
    ticket_id         bigint        NOT NULL REFERENCES tickets (id),
    enterprise        text          NOT NULL,
    category          text          NOT NULL,
    occurred_at       timestamptz   NOT NULL,
    reported_at       timestamptz,
    workers_involved  integer,
    amount_owed_cny   numeric(16, 2),
    months_in_arrears numeric(8, 2),
    collective        boolean,
    action            text,
    summary           text,
    reporter_kind     text,
    reporter_id       text,
    level             text          NOT NULL,
    decision          jsonb         NOT NULL,
    subject           text          NOT NULL,
    stream_seq        bigint        NOT NULL,
    received_at       timestamptz   NOT NULL DEFAULT now(),
    score             integer GENERATED ALWAYS AS (
        CASE WHEN jsonb_typeof(decision->'score') = 'number' AND abs((decision->'score')::numeric) < 2147483647
             THEN round((decision->'score')::numeric)::integer END) STORED,
    owner_status      text CHECK (owner_status IN ('absconded', 'unreachable')),
    county_code       text GENERATED ALWAYS AS (
        CASE WHEN length(enterprise) >= 8 THEN substr(enterprise, 3, 6) ELSE '' END) STORED,
    PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- ticket_history: the same columns, partitioned by at. The identity goes on
-- from the highest id so far.
ALTER TABLE ticket_history RENAME TO ticket_history_flat;
ALTER TABLE ticket_history_flat RENAME CONSTRAINT ticket_history_pkey TO ticket_history_flat_pkey;
DROP INDEX ticket_history_ticket, ticket_history_at;

CREATE TABLE ticket_history (
    id         bigint GENERATED ALWAYS AS IDENTITY,
    ticket_id  bigint      NOT NULL REFERENCES tickets (id),
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text        NOT NULL,
    kind       text        NOT NULL,
    event_id   text,
    from_value text,
    to_value   text,
    note       text,
    data       jsonb,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE ticket_history_default PARTITION OF ticket_history DEFAULT;
CREATE TRIGGER ticket_history_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ticket_history
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_history_append_only();
CREATE TRIGGER ticket_history_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ticket_history_default
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_history_append_only();

-- A partition for every month that holds rows, and the current month and
-- the two after it; then the rows, then the indexes (faster after the load).
SELECT gridwarn_ensure_month_partition('events', m::date)
FROM (SELECT DISTINCT date_trunc('month', received_at AT TIME ZONE 'UTC') AS m FROM events_flat) ms ORDER BY 1;
SELECT gridwarn_ensure_month_partition('ticket_history', m::date)
FROM (SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') AS m FROM ticket_history_flat) ms ORDER BY 1;
SELECT gridwarn_ensure_partitions((now() AT TIME ZONE 'UTC')::date, 2);

INSERT INTO events (id, ticket_id, enterprise, category, occurred_at, reported_at, workers_involved, amount_owed_cny,
                    months_in_arrears, collective, action, summary, reporter_kind, reporter_id, level, decision, subject,
                    stream_seq, received_at, owner_status)
SELECT id, ticket_id, enterprise, category, occurred_at, reported_at, workers_involved, amount_owed_cny,
       months_in_arrears, collective, action, summary, reporter_kind, reporter_id, level, decision, subject,
       stream_seq, received_at, owner_status
FROM events_flat;
DROP TABLE events_flat;

INSERT INTO ticket_history (id, ticket_id, at, actor, kind, event_id, from_value, to_value, note, data)
OVERRIDING SYSTEM VALUE
SELECT id, ticket_id, at, actor, kind, event_id, from_value, to_value, note, data FROM ticket_history_flat;
SELECT setval(pg_get_serial_sequence('ticket_history', 'id'), coalesce(max(id), 0) + 1, false) FROM ticket_history;
DROP TABLE ticket_history_flat;

CREATE INDEX events_ticket ON events (ticket_id, occurred_at);
CREATE INDEX events_enterprise ON events (enterprise, occurred_at);
CREATE INDEX events_received ON events (received_at);
CREATE INDEX events_grid_worker ON events (reporter_id, ticket_id) WHERE reporter_kind = 'grid_worker';
CREATE INDEX events_occurred ON events (occurred_at);
CREATE INDEX events_week ON events (occurred_at) INCLUDE (ticket_id, enterprise, category, level, score);
CREATE INDEX events_reporter_ticket ON events (ticket_id) WHERE reporter_id IS NOT NULL;
CREATE INDEX events_county ON events (county_code, received_at);
-- gridwarn recover starts from the highest stream sequence stored.
CREATE INDEX inbox_stream_seq ON inbox (stream_seq);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);
CREATE INDEX ticket_history_at ON ticket_history (at);

-- +goose Down
ALTER TABLE events RENAME TO events_parted;
ALTER TABLE events_parted RENAME CONSTRAINT events_pkey TO events_parted_pkey;
DROP INDEX events_ticket, events_enterprise, events_received, events_grid_worker, events_occurred, events_week,
    events_reporter_ticket, events_county;
DROP INDEX inbox_stream_seq;
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
    received_at       timestamptz NOT NULL DEFAULT now(),
    score             integer GENERATED ALWAYS AS (
        CASE WHEN jsonb_typeof(decision->'score') = 'number' AND abs((decision->'score')::numeric) < 2147483647
             THEN round((decision->'score')::numeric)::integer END) STORED,
    owner_status      text CHECK (owner_status IN ('absconded', 'unreachable'))
);
INSERT INTO events (id, ticket_id, enterprise, category, occurred_at, reported_at, workers_involved, amount_owed_cny,
                    months_in_arrears, collective, action, summary, reporter_kind, reporter_id, level, decision, subject,
                    stream_seq, received_at, owner_status)
SELECT id, ticket_id, enterprise, category, occurred_at, reported_at, workers_involved, amount_owed_cny,
       months_in_arrears, collective, action, summary, reporter_kind, reporter_id, level, decision, subject,
       stream_seq, received_at, owner_status
FROM events_parted;
DROP TABLE events_parted;
CREATE INDEX events_ticket ON events (ticket_id, occurred_at);
CREATE INDEX events_enterprise ON events (enterprise, occurred_at);
CREATE INDEX events_received ON events (received_at);
CREATE INDEX events_grid_worker ON events (reporter_id, ticket_id) WHERE reporter_kind = 'grid_worker';
CREATE INDEX events_occurred ON events (occurred_at);
CREATE INDEX events_week ON events (occurred_at) INCLUDE (ticket_id, enterprise, category, level, score);
CREATE INDEX events_reporter_ticket ON events (ticket_id) WHERE reporter_id IS NOT NULL;

ALTER TABLE ticket_history RENAME TO ticket_history_parted;
ALTER TABLE ticket_history_parted RENAME CONSTRAINT ticket_history_pkey TO ticket_history_parted_pkey;
DROP INDEX ticket_history_ticket, ticket_history_at;
CREATE TABLE ticket_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint      NOT NULL REFERENCES tickets (id),
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text        NOT NULL,
    kind       text        NOT NULL,
    event_id   text,
    from_value text,
    to_value   text,
    note       text,
    data       jsonb
);
INSERT INTO ticket_history (id, ticket_id, at, actor, kind, event_id, from_value, to_value, note, data)
OVERRIDING SYSTEM VALUE
SELECT id, ticket_id, at, actor, kind, event_id, from_value, to_value, note, data FROM ticket_history_parted;
SELECT setval(pg_get_serial_sequence('ticket_history', 'id'), coalesce(max(id), 0) + 1, false) FROM ticket_history;
DROP TABLE ticket_history_parted;
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);
CREATE INDEX ticket_history_at ON ticket_history (at);
CREATE TRIGGER ticket_history_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ticket_history
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_history_append_only();

DROP FUNCTION gridwarn_ensure_partitions(date, integer);
DROP FUNCTION gridwarn_ensure_month_partition(text, date);
