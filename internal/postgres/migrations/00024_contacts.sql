-- +goose Up
-- "1+x" contact assignments (issue 16, seed 004): a person linked to one
-- enterprise and the workers in difficulty they follow. A worker is a
-- label (the hardship file's number), a kind of difficulty, since when and
-- a note — never a name (data minimisation; README "1+x contacts").
-- Assignments are never deleted: they end (ended_at, ended_by), and every
-- change is a line of contact_history, written by the database whatever
-- path changed it (API, import, command line, demo).
CREATE TABLE contacts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county_code text        NOT NULL, -- the enterprise's county (Citus readiness, #15)
    person_id   bigint      NOT NULL REFERENCES users (id),
    credit_code text        NOT NULL REFERENCES enterprises (credit_code),
    workers     jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(workers) = 'array'),
    assigned_by text        NOT NULL,
    assigned_at timestamptz NOT NULL,
    changed_by  text        NOT NULL,
    changed_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    ended_by    text,
    end_reason  text        NOT NULL DEFAULT '',
    CHECK ((ended_at IS NULL) = (ended_by IS NULL))
);
-- One current enterprise per person: the "1" of "1+x".
CREATE UNIQUE INDEX contacts_current_person ON contacts (person_id) WHERE ended_at IS NULL;
CREATE INDEX contacts_enterprise ON contacts (credit_code);

CREATE TABLE contact_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county_code text        NOT NULL,
    contact_id bigint      NOT NULL REFERENCES contacts (id),
    at         timestamptz NOT NULL,
    by         text        NOT NULL,
    action     text        NOT NULL CHECK (action IN ('assigned', 'changed', 'ended')),
    workers    jsonb       NOT NULL,
    reason     text        NOT NULL DEFAULT ''
);
CREATE INDEX contact_history_contact ON contact_history (contact_id, id);

-- +goose StatementBegin
CREATE FUNCTION contact_history_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_history (county_code, contact_id, at, by, action, workers)
        VALUES (NEW.county_code, NEW.id, NEW.changed_at, NEW.changed_by, 'assigned', NEW.workers);
    ELSIF OLD.ended_at IS NOT NULL THEN
        RAISE EXCEPTION 'contact % has ended and cannot change', OLD.id;
    ELSIF NEW.ended_at IS NOT NULL THEN
        INSERT INTO contact_history (county_code, contact_id, at, by, action, workers, reason)
        VALUES (NEW.county_code, NEW.id, NEW.ended_at, NEW.ended_by, 'ended', NEW.workers, NEW.end_reason);
    ELSIF NEW.workers IS DISTINCT FROM OLD.workers THEN
        INSERT INTO contact_history (county_code, contact_id, at, by, action, workers)
        VALUES (NEW.county_code, NEW.id, NEW.changed_at, NEW.changed_by, 'changed', NEW.workers);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION contacts_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is kept: end an assignment instead of deleting it', TG_TABLE_NAME;
END $$;
-- +goose StatementEnd

CREATE TRIGGER contacts_history AFTER INSERT OR UPDATE ON contacts
    FOR EACH ROW EXECUTE FUNCTION contact_history_write();
CREATE TRIGGER contacts_no_delete BEFORE DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_no_delete();
CREATE TRIGGER contact_history_append_only BEFORE UPDATE OR DELETE ON contact_history
    FOR EACH ROW EXECUTE FUNCTION contacts_no_delete();

-- +goose Down
DROP TABLE contact_history;
DROP TABLE contacts;
DROP FUNCTION contacts_no_delete();
DROP FUNCTION contact_history_write();
