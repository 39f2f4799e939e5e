-- A ticket's whole life: the state machine's states, the mediator's lease,
-- assignment, the outcome, the call-back, referrals, merges, notes,
-- contacts and payment follow-ups.

-- +goose Up
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets DROP CONSTRAINT tickets_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status IN
    ('new', 'dispatched', 'accepted', 'in_progress', 'replied', 'reviewed', 'closed', 'referred', 'merged'));
ALTER TABLE tickets ADD CONSTRAINT tickets_closed_check CHECK ((status = 'closed') = (closed_at IS NOT NULL));
-- Merged tickets leave the set of open tickets.
DROP INDEX tickets_one_open;
CREATE UNIQUE INDEX tickets_one_open ON tickets (enterprise, category) WHERE status NOT IN ('closed', 'merged');

ALTER TABLE tickets
    ADD COLUMN claimed_by       bigint REFERENCES users (id),
    ADD COLUMN lease_expires_at timestamptz,
    ADD COLUMN assignee_id      bigint REFERENCES users (id),
    ADD COLUMN dispatched_from  text CHECK (dispatched_from IN ('enterprise', 'town', 'county')),
    ADD COLUMN accepted_at      timestamptz,
    ADD COLUMN extended_due_at  timestamptz,
    ADD COLUMN outcome          jsonb,
    ADD COLUMN callback         jsonb,
    ADD COLUMN referral         jsonb,
    ADD COLUMN merged_into      bigint REFERENCES tickets (id),
    ADD CONSTRAINT tickets_lease_check CHECK ((claimed_by IS NULL) = (lease_expires_at IS NULL));
CREATE INDEX tickets_queue ON tickets (tier, town_code, level_rank DESC, id) WHERE status IN ('new', 'dispatched', 'accepted', 'in_progress', 'replied', 'reviewed', 'referred');
CREATE INDEX tickets_lease ON tickets (lease_expires_at) WHERE claimed_by IS NOT NULL;

-- Notes: internal, or shareable with the reporting grid worker.
CREATE TABLE ticket_notes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint      NOT NULL REFERENCES tickets (id),
    author_id  bigint      REFERENCES users (id),
    author     text        NOT NULL,
    visibility text        NOT NULL CHECK (visibility IN ('internal', 'shareable')),
    body       text        NOT NULL CHECK (body <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, id);

-- The contact log: calls, visits on site, mediation sessions.
CREATE TABLE ticket_contacts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint      NOT NULL REFERENCES tickets (id),
    author_id  bigint      REFERENCES users (id),
    author     text        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('phone_call', 'site_visit', 'mediation_session')),
    held_at    timestamptz NOT NULL,
    place      text        NOT NULL DEFAULT '',
    attendees  text[]      NOT NULL DEFAULT '{}',
    summary    text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_contacts_ticket ON ticket_contacts (ticket_id, id);

-- Promised payment dates: each schedules a follow-up; one recorded as
-- unpaid reopens the ticket at the tier that closed it.
CREATE TABLE payment_followups (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   bigint      NOT NULL REFERENCES tickets (id),
    due_on      date        NOT NULL,
    amount_cny  numeric(16, 2),
    tier        text        NOT NULL CHECK (tier IN ('enterprise', 'town', 'county')),
    paid        boolean,
    recorded_at timestamptz,
    recorded_by text,
    UNIQUE (ticket_id, due_on)
);
CREATE INDEX payment_followups_due ON payment_followups (due_on) WHERE paid IS NULL;

-- +goose Down
DROP TABLE payment_followups;
DROP TABLE ticket_contacts;
DROP TABLE ticket_notes;
DROP INDEX tickets_lease;
DROP INDEX tickets_queue;
ALTER TABLE tickets DROP CONSTRAINT tickets_lease_check,
    DROP COLUMN merged_into, DROP COLUMN referral, DROP COLUMN callback, DROP COLUMN outcome,
    DROP COLUMN extended_due_at, DROP COLUMN accepted_at, DROP COLUMN dispatched_from, DROP COLUMN assignee_id,
    DROP COLUMN lease_expires_at, DROP COLUMN claimed_by;
DROP INDEX tickets_one_open;
CREATE UNIQUE INDEX tickets_one_open ON tickets (enterprise, category) WHERE status <> 'closed';
ALTER TABLE tickets DROP CONSTRAINT tickets_closed_check, DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status IN ('new', 'closed'));
ALTER TABLE tickets ADD CONSTRAINT tickets_check CHECK ((status = 'closed') = (closed_at IS NOT NULL));
