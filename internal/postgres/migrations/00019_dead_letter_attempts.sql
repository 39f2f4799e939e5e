-- A dead letter replayed while its cause remains (an enterprise still
-- missing from the registry, say) used to come back as a new row on every
-- replay. Now the replay updates the row it came from: attempts counts the
-- tries (1 when first set aside, +1 for each replay that failed again), the
-- reason and detail are the latest, and replayed_at is cleared so that the
-- next `gridwarn dead-letters replay` re-drives it again once the cause is
-- fixed. A replay is recognised by its Nats-Msg-Id, replay-<id>-<attempt>
-- (or replay-<id> from before this migration); last_seq keeps a redelivered
-- copy of the same replay from counting twice.
-- +goose Up
ALTER TABLE dead_letters ADD COLUMN attempts integer NOT NULL DEFAULT 1;
ALTER TABLE dead_letters ADD COLUMN last_seq bigint;

-- +goose StatementBegin
CREATE FUNCTION dead_letters_fold_replays() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    orig bigint;
BEGIN
    orig := substring(NEW.msg_id FROM '^replay-([0-9]{1,18})(?:-[0-9]+)?$')::bigint;
    IF orig IS NULL OR NOT EXISTS (SELECT 1 FROM dead_letters WHERE id = orig) THEN
        RETURN NEW;
    END IF;
    UPDATE dead_letters
       SET attempts = attempts + 1, reason = NEW.reason, detail = NEW.detail, deliveries = NEW.deliveries,
           replayed_at = NULL, last_seq = NEW.stream_seq
     WHERE id = orig AND last_seq IS DISTINCT FROM NEW.stream_seq;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER dead_letters_fold_replays BEFORE INSERT ON dead_letters
    FOR EACH ROW EXECUTE FUNCTION dead_letters_fold_replays();

-- +goose Down
DROP TRIGGER dead_letters_fold_replays ON dead_letters;
DROP FUNCTION dead_letters_fold_replays();
ALTER TABLE dead_letters DROP COLUMN last_seq;
ALTER TABLE dead_letters DROP COLUMN attempts;
