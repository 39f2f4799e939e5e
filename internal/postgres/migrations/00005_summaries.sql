-- Weekly summaries: stored, one revision per build; exactly one scheduled
-- build per (unit, week) whatever the number of replicas.

-- +goose Up
CREATE TABLE weekly_summaries (
    unit_code text        NOT NULL REFERENCES units (code),
    week      text        NOT NULL CHECK (week ~ '^[0-9]{4}-W[0-9]{2}$'),
    revision  integer     NOT NULL CHECK (revision > 0),
    built_at  timestamptz NOT NULL DEFAULT now(),
    built_by  text        NOT NULL,
    data      jsonb       NOT NULL,
    PRIMARY KEY (unit_code, week, revision)
);
CREATE INDEX weekly_summaries_week ON weekly_summaries (week DESC, unit_code);
CREATE INDEX ticket_history_at ON ticket_history (at);
CREATE INDEX tickets_opened ON tickets (opened_at);
CREATE INDEX events_occurred ON events (occurred_at);

-- +goose Down
DROP INDEX events_occurred;
DROP INDEX tickets_opened;
DROP INDEX ticket_history_at;
DROP TABLE weekly_summaries;
