-- The backlog at the end of each day (issue #18 goal 6): the tickets open at
-- a local midnight, by county, town and age bucket, with how many of them
-- were overdue then. The weekly summary's backlog and overdue counts read it
-- for the ends of the week and of the week before instead of finding the
-- tickets open then (the tickets open now and those closed since, which at a
-- million tickets was the largest part of the summary).
--
-- The scheduler's backlog job (scheduler.backlog, shortly after midnight in
-- scheduler.time_zone, and at start for the days it missed) writes a
-- snapshot for each past midnight that has none, with the same statement the
-- summary otherwise runs, so a snapshot holds what the summary would have
-- counted at the moment it was taken. Nothing on the engine's or the
-- workflow's path writes here. A summary whose ends have no snapshot (a week
-- not yet over, bounds in another zone, a scheduler that never ran) counts
-- from the tickets as before.
--
-- at is the end itself (an instant), so the summary finds a snapshot by the
-- week's bounds whatever zone they were computed in. age_limits are the
-- upper bounds (seconds) of the age buckets the snapshot was counted with;
-- a summary with other buckets does not use it.
--
-- A snapshot is what was open at that midnight as known when it was taken;
-- a ticket reopened or merged later does not change it (counting from the
-- tickets, a ticket closed before the end and reopened after it counts as
-- open then).

-- +goose Up
CREATE TABLE backlog_snapshots (
    at         timestamptz PRIMARY KEY,
    age_limits float8[]    NOT NULL,
    -- The newest ticket when it was taken: a ticket added since with an
    -- opened_at before at (a history replayed into the past, as the demo
    -- does) makes the snapshot stale, and the summary counts instead.
    max_ticket_id bigint   NOT NULL,
    taken_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE backlog_ends (
    at          timestamptz NOT NULL REFERENCES backlog_snapshots ON DELETE CASCADE,
    county_code text        NOT NULL,
    town_code   text        NOT NULL, -- '' for a ticket without a town
    age_bucket  smallint    NOT NULL, -- width_bucket(age, age_limits): 0 is the youngest
    n           integer     NOT NULL, -- open at the end
    overdue     integer     NOT NULL, -- of those, overdue at the end
    PRIMARY KEY (at, county_code, town_code, age_bucket)
);

-- +goose Down
DROP TABLE backlog_ends;
DROP TABLE backlog_snapshots;
