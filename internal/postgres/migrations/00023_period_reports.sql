-- +goose Up
-- Monthly pushes and quarterly analyses (issue 16, seed 002's 每月一推送、
-- 每季度一研判): one revision per build; exactly one scheduled build per
-- (unit, period) whatever the number of replicas.
CREATE TABLE period_reports (
    unit_code text        NOT NULL REFERENCES units (code),
    period    text        NOT NULL CHECK (period ~ '^[0-9]{4}-([0-9]{2}|Q[1-4])$'),
    revision  integer     NOT NULL CHECK (revision > 0),
    built_at  timestamptz NOT NULL DEFAULT now(),
    built_by  text        NOT NULL,
    data      jsonb       NOT NULL,
    PRIMARY KEY (unit_code, period, revision)
);
CREATE INDEX period_reports_period ON period_reports (period DESC, unit_code);

-- +goose Down
DROP TABLE period_reports;
