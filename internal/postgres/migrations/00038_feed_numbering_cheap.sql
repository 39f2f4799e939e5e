-- The feed's numbering at no cost per line for the writers that number
-- their own lines (issue #18 goal 1; DECISIONS D3 unchanged).
--
-- Migration 00030's trigger ran PL/pgSQL for every history line: for a
-- line without a sequence it bumped tickets.history_seq with an UPDATE of
-- the ticket's row (a new row version per line), and for every line it
-- stamped the transaction id. The engine's batch now writes its lines'
-- sequence and state itself, from the ticket rows it already holds locked
-- (FOR UPDATE, or inserted by the batch), and sets tickets.history_seq in
-- the UPDATE (or INSERT) of the ticket that the batch makes anyway: no
-- statement and no row version more per line or per batch.
--
-- 1. The transaction id becomes the column's default (a C function, no
--    trigger): a line that names xact (a partition move) keeps it.
-- 2. The trigger fires only for lines without a sequence (WHEN, checked
--    without entering PL/pgSQL): the door's lines of a person's action,
--    the sweeper's, the erasure's, the engine's line on a relapsed
--    ticket it does not hold. They are numbered as before, under the
--    ticket's row lock.
--
-- The sequence is still dense per ticket and written in the change's
-- transaction under the ticket's row lock; positions are still assigned
-- below pg_snapshot_xmin in one serialized step (postgres/feed.go).

-- +goose Up
ALTER TABLE ticket_history ALTER COLUMN xact SET DEFAULT pg_current_xact_id();
DROP TRIGGER ticket_history_feed ON ticket_history;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ticket_history_feed() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    -- Fired only for a line without a sequence (the trigger's WHEN).
    IF NEW.id <= (SELECT first_history_id FROM feed_state) THEN
        RETURN NEW; -- recorded before the feed existed, moved between partitions
    END IF;
    UPDATE tickets SET history_seq = history_seq + 1 WHERE id = NEW.ticket_id
    RETURNING history_seq, status, level, tier INTO NEW.seq, NEW.status, NEW.level, NEW.tier;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER ticket_history_feed BEFORE INSERT ON ticket_history
    FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION ticket_history_feed();

-- +goose Down
DROP TRIGGER ticket_history_feed ON ticket_history;
ALTER TABLE ticket_history ALTER COLUMN xact DROP DEFAULT;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ticket_history_feed() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF NEW.seq IS NOT NULL THEN
        IF NEW.xact IS NULL THEN
            NEW.xact := pg_current_xact_id();
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.id <= (SELECT first_history_id FROM feed_state) THEN
        RETURN NEW;
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
