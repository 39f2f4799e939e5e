-- Referrals whose outcome comes back (issue 17 item 2, DECISIONS D7, D8,
-- D12): the outside bodies a county refers cases to (partners, each with
-- a machine account holding its token), every referral of a ticket — out
-- (the union refers) or in (a court commissions the union, 委托调解) — and
-- the updates the body posts, with the legal clocks of the body.

-- +goose Up

-- A partner signs in with a token like any machine account; its role is
-- 'partner'. The hotline helper's role is admitted too, so that whichever
-- of the two migrations runs last keeps both (issue 17 items 1 and 2).
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_known;
ALTER TABLE users ADD CONSTRAINT users_role_known
    CHECK (role IN ('grid_worker', 'reporter', 'mediator', 'leader', 'admin', 'partner', 'hotline_operator'));

-- A receiving body of one county: an arbitration commission, a court, a
-- labour inspection brigade, a legal aid centre. user_id is its account.
CREATE TABLE partners (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county_code text        NOT NULL REFERENCES units (code),
    kind        text        NOT NULL CHECK (kind IN ('arbitration', 'court', 'labor_inspection', 'legal_aid')),
    name        text        NOT NULL CHECK (name <> ''),
    user_id     bigint      NOT NULL UNIQUE REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (county_code, kind, name)
);

-- Every referral of a ticket. direction 'out': the union referred the
-- ticket (the refer action); 'in': a court commissioned the union to
-- mediate (the ticket was opened for it, due_on is the court's deadline).
CREATE TABLE referrals (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   bigint      NOT NULL REFERENCES tickets (id),
    direction   text        NOT NULL CHECK (direction IN ('out', 'in')),
    kind        text        NOT NULL CHECK (kind IN ('arbitration', 'court', 'labor_inspection', 'legal_aid')),
    body_name   text        NOT NULL DEFAULT '',
    partner_id  bigint      REFERENCES partners (id),
    reference   text        NOT NULL CHECK (reference <> ''),
    collective  boolean     NOT NULL DEFAULT false,
    due_on      date,
    summary     text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    CHECK (direction = 'out' OR (partner_id IS NOT NULL AND kind = 'court'))
);
CREATE INDEX referrals_ticket ON referrals (ticket_id, id);
CREATE INDEX referrals_partner ON referrals (partner_id, id) WHERE partner_id IS NOT NULL;
-- A court's commission is one ticket, however often the court sends it.
CREATE UNIQUE INDEX referrals_commission ON referrals (partner_id, reference) WHERE direction = 'in';

-- What the body (or, for a commission, the union) reports on a referral.
CREATE TABLE referral_updates (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    referral_id   bigint      NOT NULL REFERENCES referrals (id),
    ticket_id     bigint      NOT NULL REFERENCES tickets (id),
    kind          text        NOT NULL CHECK (kind IN ('accepted', 'hearing_scheduled', 'mediated_agreement', 'award',
                                                       'judgement', 'withdrawn', 'extended', 'mediation_result')),
    on_date       date        NOT NULL,
    hearing_at    timestamptz,
    amount_cny    numeric(16, 2) CHECK (amount_cny >= 0),
    owed_cny      numeric(16, 2) CHECK (owed_cny >= 0),
    pay_by        date,
    note          text        NOT NULL DEFAULT '',
    author        text        NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX referral_updates_referral ON referral_updates (referral_id, id);

-- The body's own clocks run beside the tiers' clocks.
ALTER TABLE ticket_clocks DROP CONSTRAINT IF EXISTS ticket_clocks_kind_check;
ALTER TABLE ticket_clocks ADD CONSTRAINT ticket_clocks_kind_known
    CHECK (kind IN ('accept', 'contact', 'resolve', 'body_accept', 'body_decide'));

-- +goose Down
ALTER TABLE ticket_clocks DROP CONSTRAINT ticket_clocks_kind_known;
DELETE FROM ticket_clocks WHERE kind IN ('body_accept', 'body_decide');
ALTER TABLE ticket_clocks ADD CONSTRAINT ticket_clocks_kind_check CHECK (kind IN ('accept', 'contact', 'resolve'));
DROP TABLE referral_updates;
DROP TABLE referrals;
DROP TABLE partners;
DELETE FROM tokens WHERE user_id IN (SELECT id FROM users WHERE role = 'partner');
DELETE FROM users WHERE role = 'partner';
ALTER TABLE users DROP CONSTRAINT users_role_known;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('grid_worker', 'reporter', 'mediator', 'leader', 'admin', 'hotline_operator'));
