-- Two changes for the weekly summary's reads (issue #18 goal 6), neither on
-- the engine's path:
--
-- 1. tickets_opened covers the counts of tickets opened per county and town
--    (the summary's, the period reports' and the dashboard's): with
--    county_code and town_code included, a week's openings are an
--    index-only scan instead of a heap visit per ticket. Neither column
--    changes after a ticket is opened, so updates of tickets stay HOT as
--    before.
-- 2. A rebuild of the daily rollup writes its rows in the order of their
--    keys (county, day, …), as the engine's writes fall over time: a
--    summary's days are then a few adjacent pages instead of rows scattered
--    over the whole table by the GROUP BY's hashing. It empties the two
--    tables with TRUNCATE instead of DELETE, so the rows go into fresh
--    files in that order (a DELETE left the free space of the old rows for
--    the new ones to scatter into) and the old rows' space is given back.
--    TRUNCATE locks out the readers of the rollup too while the rebuild
--    runs (it already locked out every writer of events); a rebuild runs at
--    a migration or when the configured zone changes.

-- +goose Up
DROP INDEX tickets_opened;
CREATE INDEX tickets_opened ON tickets (opened_at) INCLUDE (county_code, town_code);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION gridwarn_rollup_rebuild(zone text) RETURNS bigint
    LANGUAGE plpgsql AS
$$
DECLARE
    total bigint;
BEGIN
    PERFORM now() AT TIME ZONE zone; -- an unknown zone fails here
    LOCK TABLE events IN SHARE MODE;
    LOCK TABLE rollup_zone IN EXCLUSIVE MODE;
    TRUNCATE event_days, enterprise_days;
    UPDATE rollup_zone SET name = zone;
    CREATE TEMP TABLE gridwarn_rollup ON COMMIT DROP AS
    SELECT t.county_code, (e.occurred_at AT TIME ZONE zone)::date AS day, coalesce(t.town_code, '') AS town_code,
           e.enterprise, e.category, e.level, count(*) AS n, max(coalesce(e.score, 0)) AS score,
           coalesce(max(level_rank(e.level)), 0) AS level_rank
    FROM events e JOIN tickets t ON t.id = e.ticket_id
    GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT INTO event_days (county_code, day, town_code, category, level, n)
    SELECT county_code, day, town_code, category, level, sum(n) FROM gridwarn_rollup GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5;
    INSERT INTO enterprise_days (county_code, day, town_code, enterprise, n, score, level_rank)
    SELECT county_code, day, town_code, enterprise, sum(n), max(score), max(level_rank) FROM gridwarn_rollup GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4;
    SELECT coalesce(sum(n), 0) INTO total FROM gridwarn_rollup;
    DROP TABLE gridwarn_rollup;
    RETURN total;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX tickets_opened;
CREATE INDEX tickets_opened ON tickets (opened_at);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION gridwarn_rollup_rebuild(zone text) RETURNS bigint
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
