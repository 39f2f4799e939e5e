-- +goose Up
-- The unionization drive's monthly circulars (issue 16, seed 001's
-- 一月一通报): one revision per build; exactly one scheduled build per
-- (unit, month) whatever the number of replicas.
CREATE TABLE union_circulars (
    unit_code text        NOT NULL REFERENCES units (code),
    month     text        NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    revision  integer     NOT NULL CHECK (revision > 0),
    built_at  timestamptz NOT NULL DEFAULT now(),
    built_by  text        NOT NULL,
    data      jsonb       NOT NULL,
    PRIMARY KEY (unit_code, month, revision)
);
CREATE INDEX union_circulars_month ON union_circulars (month DESC, unit_code);

-- +goose Down
DROP TABLE union_circulars;
