-- The daily rollup of the events (issue #18 goal 6; DECISIONS: what #16's
-- monthly and quarterly reports read). The weekly summary, the monthly and
-- quarterly reports and the dashboard's trend count events by day instead
-- of scanning them.
--
-- A day is a calendar day in the time zone of rollup_zone (the
-- configuration's scheduler.time_zone; Asia/Shanghai by default): an event
-- counts on the day it occurred (occurred_at), in the county and town of
-- its ticket (as the summary places it), by its own category and level.
-- enterprise_days keeps, per enterprise and day, what the riskiest list
-- ranks by: the events, the highest score and the highest level.
--
-- The engine writes both in the transaction that stores the events, from
-- the events it actually inserted (a redelivered event is skipped by the
-- inbox before it reaches events, so it is never counted twice), as the
-- last statement before the commit, locking the rows in key order.
-- gridwarn_rollup_rebuild recomputes both from the events (this migration
-- runs it once for the events already stored; `gridwarn rollup rebuild`
-- runs it again, and a change of the time zone makes the service run it).
-- Old partitions of events that are detached or dropped keep their days
-- here.

-- +goose Up
CREATE TABLE rollup_zone (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    name     text    NOT NULL
);
INSERT INTO rollup_zone (name) VALUES ('Asia/Shanghai');

CREATE TABLE event_days (
    county_code text   NOT NULL,
    day         date   NOT NULL,
    town_code   text   NOT NULL, -- '' for a ticket without a town
    category    text   NOT NULL,
    level       text   NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (county_code, day, town_code, category, level)
);
CREATE INDEX event_days_town ON event_days (town_code, day);

CREATE TABLE enterprise_days (
    county_code text     NOT NULL,
    day         date     NOT NULL,
    town_code   text     NOT NULL,
    enterprise  text     NOT NULL,
    n           bigint   NOT NULL,
    score       integer  NOT NULL, -- the highest score (0 for none)
    level_rank  smallint NOT NULL, -- the highest level_rank (0 for none)
    PRIMARY KEY (county_code, day, town_code, enterprise)
);
CREATE INDEX enterprise_days_town ON enterprise_days (town_code, day);

-- gridwarn_rollup_rebuild recomputes the rollup from the stored events in
-- zone and records the zone; it returns the events counted. It blocks
-- the writers of events meanwhile (they write the rollup after the
-- events, so taking events first cannot deadlock with them).
-- +goose StatementBegin
CREATE FUNCTION gridwarn_rollup_rebuild(zone text) RETURNS bigint
    LANGUAGE plpgsql AS
$$
DECLARE
    total bigint;
BEGIN
    PERFORM now() AT TIME ZONE zone; -- an unknown zone fails here
    LOCK TABLE events IN SHARE MODE;
    LOCK TABLE event_days, enterprise_days, rollup_zone IN EXCLUSIVE MODE;
    DELETE FROM event_days;
    DELETE FROM enterprise_days;
    UPDATE rollup_zone SET name = zone;
    CREATE TEMP TABLE gridwarn_rollup ON COMMIT DROP AS
    SELECT t.county_code, (e.occurred_at AT TIME ZONE zone)::date AS day, coalesce(t.town_code, '') AS town_code,
           e.enterprise, e.category, e.level, count(*) AS n, max(coalesce(e.score, 0)) AS score,
           coalesce(max(level_rank(e.level)), 0) AS level_rank
    FROM events e JOIN tickets t ON t.id = e.ticket_id
    GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT INTO event_days (county_code, day, town_code, category, level, n)
    SELECT county_code, day, town_code, category, level, sum(n) FROM gridwarn_rollup GROUP BY 1, 2, 3, 4, 5;
    INSERT INTO enterprise_days (county_code, day, town_code, enterprise, n, score, level_rank)
    SELECT county_code, day, town_code, enterprise, sum(n), max(score), max(level_rank) FROM gridwarn_rollup GROUP BY 1, 2, 3, 4;
    SELECT coalesce(sum(n), 0) INTO total FROM gridwarn_rollup;
    DROP TABLE gridwarn_rollup;
    RETURN total;
END
$$;
-- +goose StatementEnd

SELECT gridwarn_rollup_rebuild('Asia/Shanghai');

-- +goose Down
DROP FUNCTION gridwarn_rollup_rebuild(text);
DROP TABLE enterprise_days;
DROP TABLE event_days;
DROP TABLE rollup_zone;
