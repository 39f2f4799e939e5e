-- +goose Up
-- Reporter protection (issue #13): pseudonyms from a key only the database
-- holds, an explicit grant to read identities, and an append-only log of
-- every read.
CREATE TABLE privacy_key (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    key text    NOT NULL
);
INSERT INTO privacy_key (key) VALUES (replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

CREATE TABLE identity_readers (
    user_id    bigint      PRIMARY KEY REFERENCES users (id),
    granted_by text        NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE identity_reads (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    reader_id  bigint      NOT NULL REFERENCES users (id),
    reader     text        NOT NULL,
    ticket_id  bigint      NOT NULL REFERENCES tickets (id),
    reason     text        NOT NULL CHECK (reason <> ''),
    identities integer     NOT NULL
);
-- +goose StatementBegin
CREATE FUNCTION identity_reads_append_only() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'identity_reads is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER identity_reads_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON identity_reads
    FOR EACH STATEMENT EXECUTE FUNCTION identity_reads_append_only();

-- The retention sweep finds closed tickets whose events still name reporters.
CREATE INDEX events_reporter_ticket ON events (ticket_id) WHERE reporter_id IS NOT NULL;

-- +goose Down
DROP INDEX events_reporter_ticket;
DROP TRIGGER identity_reads_append_only ON identity_reads;
DROP FUNCTION identity_reads_append_only();
DROP TABLE identity_reads;
DROP TABLE identity_readers;
DROP TABLE privacy_key;
