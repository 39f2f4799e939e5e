-- The feed for the governance platform (issue #17 item 4, DECISIONS D3):
-- every ticket change - every line of ticket_history, whoever writes it -
-- becomes one CloudEvent, ordered per ticket, idempotent by id.
--
-- 1. A per-ticket sequence written in the same transaction as the change.
--    A BEFORE INSERT trigger on ticket_history bumps tickets.history_seq
--    (which also locks the ticket's row until commit, so the sequence is
--    dense and in commit order per ticket) and stamps the line with it,
--    with the writing transaction's id (xact) and the ticket's status,
--    level and tier as they stand after the change. Every writer of the
--    history (the door, the sweeper, the erasure) gets it without knowing;
--    the engine's batch, for speed, numbers its lines itself in one
--    statement under the same locks (postgres.numberHistory) and the
--    trigger only adds the transaction id.
-- 2. Feed positions assigned in one serialized step (postgres/feed.go):
--    only lines whose transaction lies below the oldest transaction still
--    in flight (pg_snapshot_xmin) are positioned, and a ticket's line only
--    after its previous one, under an advisory lock. A reader of the feed
--    therefore never skips a change that commits after a later one was
--    read, and sees each ticket's changes in sequence order.
--
-- The lines recorded before this migration are positioned here, in id
-- order; they carry no state snapshot (status, level, tier).

-- +goose Up
ALTER TABLE tickets ADD COLUMN history_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE ticket_history
    ADD COLUMN seq    bigint,
    ADD COLUMN xact   xid8,
    ADD COLUMN status text,
    ADD COLUMN level  text,
    ADD COLUMN tier   text;

CREATE TABLE feed (
    position   bigint      PRIMARY KEY,
    ticket_id  bigint      NOT NULL REFERENCES tickets (id),
    seq        bigint      NOT NULL,
    history_id bigint      NOT NULL,
    history_at timestamptz NOT NULL,
    county_code text       NOT NULL,
    UNIQUE (ticket_id, seq)
);
CREATE INDEX feed_county ON feed (county_code, position);

-- One row: every history line with xact < low is positioned.
CREATE TABLE feed_state (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    low  xid8    NOT NULL,
    -- History lines with id <= first_history_id were recorded before the
    -- feed existed (positioned below); the trigger leaves them alone when
    -- a partition move re-inserts them.
    first_history_id bigint NOT NULL
);

-- The push destinations (webhook, NATS): how far each has been delivered.
-- A destination is delivered by one relay at a time (its row is locked),
-- one event after another: one delivery in flight per ticket and
-- destination.
CREATE TABLE feed_destinations (
    name            text        PRIMARY KEY,
    position        bigint      NOT NULL DEFAULT 0,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO feed (position, ticket_id, seq, history_id, history_at, county_code)
SELECT row_number() OVER (ORDER BY h.id), h.ticket_id, row_number() OVER (PARTITION BY h.ticket_id ORDER BY h.id), h.id, h.at,
       t.county_code
FROM ticket_history h JOIN tickets t ON t.id = h.ticket_id;
UPDATE tickets t SET history_seq = f.n FROM (SELECT ticket_id, max(seq) AS n FROM feed GROUP BY ticket_id) f
WHERE f.ticket_id = t.id;
INSERT INTO feed_state (low, first_history_id)
SELECT '0'::xid8, coalesce((SELECT max(id) FROM ticket_history), 0);

-- +goose StatementBegin
CREATE FUNCTION ticket_history_feed() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF NEW.seq IS NOT NULL THEN
        -- A line moved between partitions keeps what it was given; the
        -- engine's batch numbers its lines itself, one update per ticket
        -- rather than one per line (postgres.numberHistory).
        IF NEW.xact IS NULL THEN
            NEW.xact := pg_current_xact_id();
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.id <= (SELECT first_history_id FROM feed_state) THEN
        RETURN NEW; -- recorded before the feed existed, moved between partitions
    END IF;
    UPDATE tickets SET history_seq = history_seq + 1 WHERE id = NEW.ticket_id
    RETURNING history_seq, status, level, tier INTO NEW.seq, NEW.status, NEW.level, NEW.tier;
    NEW.xact := pg_current_xact_id();
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER ticket_history_feed BEFORE INSERT ON ticket_history
    FOR EACH ROW EXECUTE FUNCTION ticket_history_feed();

CREATE INDEX ticket_history_xact ON ticket_history (xact, id) WHERE xact IS NOT NULL;

-- +goose Down
DROP TRIGGER ticket_history_feed ON ticket_history;
DROP FUNCTION ticket_history_feed();
DROP INDEX ticket_history_xact;
DROP TABLE feed_destinations;
DROP TABLE feed_state;
DROP TABLE feed;
ALTER TABLE ticket_history DROP COLUMN seq, DROP COLUMN xact, DROP COLUMN status, DROP COLUMN level, DROP COLUMN tier;
ALTER TABLE tickets DROP COLUMN history_seq;
