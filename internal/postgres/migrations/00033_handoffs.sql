-- Hand-offs between counties (issue 17 item 3, DECISIONS D11): a ticket
-- handed over (or shared) to another county's union. One row per hand-off,
-- its id minted by the sending side and kept by the receiving side, so
-- that a hand-off delivered twice (the bus and HTTPS both redeliver) is
-- stored once. When both counties run on this deployment the one row
-- serves both: ticket_id is the sender's ticket, linked_ticket_id the
-- receiving county's case.

-- +goose Up
CREATE TABLE handoffs (
    id                  uuid        PRIMARY KEY,
    ticket_id           bigint      REFERENCES tickets (id), -- the sender's ticket, when the sender is here
    linked_ticket_id    bigint      REFERENCES tickets (id), -- the receiving county's case, when the receiver is here
    from_county         text        NOT NULL CHECK (from_county ~ '^[0-9]{6}$'),
    to_county           text        NOT NULL CHECK (to_county ~ '^[0-9]{6}$' AND to_county <> from_county),
    mode                text        NOT NULL CHECK (mode IN ('hand', 'share')),
    reason              text        NOT NULL CHECK (reason IN ('workers_home', 'employer_elsewhere', 'joint_handling', 'for_information')),
    workers_home_county text        NOT NULL CHECK (workers_home_county ~ '^[0-9]{6}$'),
    note                text        NOT NULL DEFAULT '',
    pause_clocks        boolean     NOT NULL,
    -- The case as the sender described it (the receiver may not have the
    -- enterprise in its registry).
    enterprise          text        NOT NULL,
    enterprise_name     text        NOT NULL DEFAULT '',
    category            text        NOT NULL,
    level               text        NOT NULL CHECK (level IN ('blue', 'yellow', 'orange', 'red')),
    summary             text        NOT NULL DEFAULT '',
    sent_by             text        NOT NULL,
    state               text        NOT NULL DEFAULT 'sent' CHECK (state IN ('sent', 'accepted', 'declined', 'closed')),
    decline_reason      text        NOT NULL DEFAULT '',
    answered_by         text        NOT NULL DEFAULT '',
    answered_at         timestamptz,
    outcome             jsonb,
    closed_at           timestamptz,
    created_at          timestamptz NOT NULL,
    CHECK ((state = 'declined') = (decline_reason <> ''))
);
-- One hand-off at a time per ticket: a second waits for the first's end.
CREATE UNIQUE INDEX handoffs_one_open ON handoffs (ticket_id) WHERE state IN ('sent', 'accepted');
CREATE UNIQUE INDEX handoffs_linked ON handoffs (linked_ticket_id) WHERE linked_ticket_id IS NOT NULL;
CREATE INDEX handoffs_from ON handoffs (from_county, created_at DESC);
CREATE INDEX handoffs_to ON handoffs (to_county, created_at DESC);

-- The receiving county's case is a ticket of the same enterprise and
-- category as the sender's, in the receiving county, opened with
-- rules_version 'handoff' and handoff_id set: it is not the enterprise's
-- one open ticket of the category (the engine never feeds it; signals go
-- to the sender's ticket), so tickets_one_open leaves it out. The engine's
-- statements name rules_version, a column as old as tickets, so that they
-- run on a schema before this migration too.
ALTER TABLE tickets ADD COLUMN handoff_id uuid;
DROP INDEX tickets_one_open;
CREATE UNIQUE INDEX tickets_one_open ON tickets (enterprise, category)
    WHERE status NOT IN ('closed', 'merged') AND rules_version <> 'handoff';

-- +goose Down
-- An open linked case beside its sender's open ticket fails the old index:
-- close or merge the linked cases first.
DROP INDEX tickets_one_open;
CREATE UNIQUE INDEX tickets_one_open ON tickets (enterprise, category) WHERE status NOT IN ('closed', 'merged');
ALTER TABLE tickets DROP COLUMN handoff_id;
DROP TABLE handoffs;
