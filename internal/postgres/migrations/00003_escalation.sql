-- The escalation ladder's clocks and the transactional outbox.

-- +goose Up

-- Each tier a ticket reaches starts its own clocks (accept, contact,
-- resolve), so one can see which tier used the time. A clock is met when
-- its step is done, breached when its due time passes first.
CREATE TABLE ticket_clocks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   bigint      NOT NULL REFERENCES tickets (id),
    tier        text        NOT NULL CHECK (tier IN ('enterprise', 'town', 'county')),
    kind        text        NOT NULL CHECK (kind IN ('accept', 'contact', 'resolve')),
    started_at  timestamptz NOT NULL,
    remind_at   timestamptz NOT NULL,
    due_at      timestamptz NOT NULL,
    reminded_at timestamptz,
    breached_at timestamptz,
    stopped_at  timestamptz, -- met, superseded by an escalation, or the ticket closed
    stop_reason text,
    CHECK (remind_at <= due_at AND started_at <= remind_at)
);
CREATE INDEX ticket_clocks_ticket ON ticket_clocks (ticket_id, id);
-- The sweeper's two queues: what is due for a reminder, what is due.
CREATE INDEX ticket_clocks_remind ON ticket_clocks (remind_at) WHERE stopped_at IS NULL AND reminded_at IS NULL;
CREATE INDEX ticket_clocks_due ON ticket_clocks (due_at) WHERE stopped_at IS NULL AND breached_at IS NULL;

-- A ticket that breached the county's limit is overdue: leadership sees it.
ALTER TABLE tickets ADD COLUMN overdue_at timestamptz;

-- Notifications are written here in the same transaction as the change they
-- announce and delivered after commit by the relay (NATS, webhooks).
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic           text        NOT NULL, -- ticket.opened, ticket.level_raised, ticket.tier_changed, ticket.reminder, ticket.breach, ticket.returned, summary.weekly
    subject         text        NOT NULL, -- NATS subject, e.g. gridwarn.notify.town.320924100
    payload         jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE published_at IS NULL;

-- One delivery per (notification, webhook), with its own retries and log.
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id        bigint      NOT NULL REFERENCES outbox (id),
    webhook          text        NOT NULL, -- the webhook's name in the configuration
    delivery_id      text        NOT NULL UNIQUE, -- sent to the receiver, which can drop repeats
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status_code integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (outbox_id, webhook)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE outbox;
ALTER TABLE tickets DROP COLUMN overdue_at;
DROP TABLE ticket_clocks;
