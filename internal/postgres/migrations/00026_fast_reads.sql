-- +goose Up
-- Reads and authentication close to the raw parts (issue 18, goals 4 and 5).
--
-- 1. The work queue's order (red first, then the nearest running clock) from
--    an index instead of a lateral join and a sort: tickets.next_due_at is
--    the earliest due time of the ticket's running clocks (stopped_at IS
--    NULL), kept by statement triggers on ticket_clocks in the same
--    transaction as the clocks, whoever writes them (the door, the engine's
--    batches, the sweeper).
ALTER TABLE tickets ADD COLUMN next_due_at timestamptz;

UPDATE tickets t SET next_due_at = d.due
FROM (SELECT ticket_id, min(due_at) AS due FROM ticket_clocks WHERE stopped_at IS NULL GROUP BY ticket_id) d
WHERE d.ticket_id = t.id;

-- +goose StatementBegin
CREATE FUNCTION tickets_next_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets t SET next_due_at = d.due
    FROM (SELECT k.ticket_id, (SELECT min(c.due_at) FROM ticket_clocks c
                               WHERE c.ticket_id = k.ticket_id AND c.stopped_at IS NULL) AS due
          FROM (SELECT DISTINCT ticket_id FROM changed) k) d
    WHERE t.id = d.ticket_id AND t.next_due_at IS DISTINCT FROM d.due;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER ticket_clocks_next_due_insert AFTER INSERT ON ticket_clocks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tickets_next_due();
CREATE TRIGGER ticket_clocks_next_due_update AFTER UPDATE ON ticket_clocks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tickets_next_due();
CREATE TRIGGER ticket_clocks_next_due_delete AFTER DELETE ON ticket_clocks
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tickets_next_due();

-- One index per kind of queue, in the queue's order; the open tickets only.
CREATE INDEX tickets_queue_town ON tickets (town_code, level_rank DESC, (coalesce(next_due_at, 'infinity')), id)
    WHERE status IN ('new', 'dispatched', 'accepted', 'in_progress', 'replied', 'reviewed', 'referred')
      AND tier IN ('town', 'enterprise');
CREATE INDEX tickets_queue_county ON tickets (county_code, level_rank DESC, (coalesce(next_due_at, 'infinity')), id)
    WHERE status IN ('new', 'dispatched', 'accepted', 'in_progress', 'replied', 'reviewed', 'referred')
      AND tier = 'county';

-- 2. Every replica caches resolved bearer tokens for at most 2 seconds
--    (postgres.AuthCacheTTL, DECISIONS D1). Any change of tokens, people or
--    their grids, by any writer, tells every replica to drop its cache.
-- +goose StatementBegin
CREATE FUNCTION gridwarn_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridwarn_auth', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tokens_auth_changed AFTER UPDATE OF revoked_at, expires_at, user_id, hash OR DELETE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION gridwarn_auth_changed();
CREATE TRIGGER users_auth_changed AFTER UPDATE OF disabled, role, scope_kind, scope_unit, tier_head, username OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION gridwarn_auth_changed();
CREATE TRIGGER user_grids_auth_changed AFTER INSERT OR UPDATE OR DELETE ON user_grids
    FOR EACH STATEMENT EXECUTE FUNCTION gridwarn_auth_changed();

-- +goose Down
DROP TRIGGER user_grids_auth_changed ON user_grids;
DROP TRIGGER users_auth_changed ON users;
DROP TRIGGER tokens_auth_changed ON tokens;
DROP FUNCTION gridwarn_auth_changed();
DROP INDEX tickets_queue_county;
DROP INDEX tickets_queue_town;
DROP TRIGGER ticket_clocks_next_due_delete ON ticket_clocks;
DROP TRIGGER ticket_clocks_next_due_update ON ticket_clocks;
DROP TRIGGER ticket_clocks_next_due_insert ON ticket_clocks;
DROP FUNCTION tickets_next_due();
ALTER TABLE tickets DROP COLUMN next_due_at;
