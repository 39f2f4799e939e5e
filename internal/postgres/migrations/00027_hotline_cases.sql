-- The 12351 hotline (issue #17 item 1): the hotline operator's role, the
-- cases operators file for callers, and one counter per county and day that
-- numbers them (12351-YYYYMMDD-NNNN), incremented in the transaction that
-- files the case.
-- +goose Up
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('grid_worker', 'reporter', 'mediator', 'leader', 'admin', 'hotline_operator'));

CREATE TABLE hotline_counters (
    county_code text    NOT NULL,
    day         date    NOT NULL,
    n           integer NOT NULL CHECK (n > 0),
    PRIMARY KEY (county_code, day)
);

CREATE TABLE hotline_cases (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county_code        text        NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    work_order         text        NOT NULL,
    platform_order     text,
    status             text        NOT NULL CHECK (status IN ('to_identify', 'forwarded', 'closed')),
    intake_type        text        NOT NULL CHECK (intake_type IN ('consultation', 'help', 'complaint', 'legal_aid', 'suggestion')),
    class              text        NOT NULL CHECK (class IN ('ordinary', 'difficult', 'complex')),
    answered_on_call   boolean     NOT NULL DEFAULT false,
    -- The caller: a reporter's identity under the reporter protection of
    -- migration 00013 — shown masked, read in full through the audited
    -- identity read of the case's ticket, erased (NULL) after retention.
    caller_name        text,
    caller_phone       text,
    enterprise         text,
    enterprise_name    text,
    enterprise_address text,
    category           text,
    occurred_at        timestamptz,
    workers_involved   integer,
    amount_owed_cny    numeric(16, 2),
    collective         boolean     NOT NULL DEFAULT false,
    summary            text,
    filed_by           text        NOT NULL,
    filed_at           timestamptz NOT NULL,
    due_at             timestamptz NOT NULL,
    closed_at          timestamptz,
    linked_by          text,
    linked_at          timestamptz,
    event_id           text,
    published_at       timestamptz,
    UNIQUE (county_code, work_order),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CHECK (status <> 'forwarded' OR (enterprise IS NOT NULL AND event_id IS NOT NULL))
);
CREATE INDEX hotline_cases_county ON hotline_cases (county_code, id DESC);
CREATE INDEX hotline_cases_enterprise ON hotline_cases (enterprise) WHERE enterprise IS NOT NULL;
CREATE UNIQUE INDEX hotline_cases_event ON hotline_cases (event_id) WHERE event_id IS NOT NULL;
-- The retention sweep finds closed cases that still name their callers.
CREATE INDEX hotline_cases_callers ON hotline_cases (closed_at) WHERE caller_phone IS NOT NULL;

-- +goose Down
DROP TABLE hotline_cases;
DROP TABLE hotline_counters;
DELETE FROM users WHERE role = 'hotline_operator';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('grid_worker', 'reporter', 'mediator', 'leader', 'admin'));
