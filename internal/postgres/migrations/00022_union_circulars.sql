-- +goose Up
-- The unionization drive's monthly circulars and quarterly summaries
-- (issue 16, seed 001's 一月一通报、一季度一总结): one revision per build;
-- exactly one scheduled build per (unit, period) whatever the number of
-- replicas. A period is a month (2026-11) or a quarter (2026-Q4).
CREATE TABLE union_circulars (
    unit_code text        NOT NULL REFERENCES units (code),
    period    text        NOT NULL CHECK (period ~ '^[0-9]{4}-([0-9]{2}|Q[1-4])$'),
    revision  integer     NOT NULL CHECK (revision > 0),
    built_at  timestamptz NOT NULL DEFAULT now(),
    built_by  text        NOT NULL,
    data      jsonb       NOT NULL,
    PRIMARY KEY (unit_code, period, revision)
);
CREATE INDEX union_circulars_period ON union_circulars (period DESC, unit_code);

-- +goose Down
DROP TABLE union_circulars;
