-- +goose Up
-- Visits to enterprises (issue 16): a grid worker's patrol, a cadre's
-- interview, a workers' forum, a ticket's follow-up. The id is minted by
-- the form, so a form re-sent until confirmed stores one visit. Where the
-- enterprise lay (county, town, grid) is kept with the visit: coverage is
-- counted by where the visit happened, and a county's rows carry its code.
CREATE TABLE visits (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    county_code text        NOT NULL,
    town_code   text        NOT NULL,
    grid_code   text        NOT NULL,
    credit_code text        NOT NULL REFERENCES enterprises (credit_code),
    visited_on  date        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('patrol', 'interview', 'workers_forum', 'ticket_follow_up')),
    people_met  text        NOT NULL DEFAULT '',
    findings    text        NOT NULL DEFAULT '',
    ticket_id   bigint REFERENCES tickets (id),
    report_id   text,
    visitor_id  bigint      NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'ticket_follow_up') = (ticket_id IS NOT NULL))
);
-- Coverage: was an enterprise visited in a period?
CREATE INDEX visits_enterprise_day ON visits (credit_code, visited_on);
-- Lists: a unit's visits of a period, newest first.
CREATE INDEX visits_place_day ON visits (county_code, town_code, visited_on DESC);

-- +goose Down
DROP TABLE visits;
