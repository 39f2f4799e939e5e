-- What the weekly summary reads, indexed so that building a week's summary
-- costs in proportion to the weeks it shows, not to the whole history.

-- +goose Up

-- Each event's score as a column (the rules' score in the decision), so
-- that an index can carry it. Adding a stored generated column rewrites
-- the events table once. The guard keeps an odd decision from failing the
-- engine's insert: such a score is NULL, which the summary counts as 0.
ALTER TABLE events ADD COLUMN score integer GENERATED ALWAYS AS (
    CASE WHEN jsonb_typeof(decision->'score') = 'number' AND abs((decision->'score')::numeric) < 2147483647
         THEN round((decision->'score')::numeric)::integer END) STORED;

-- A week's events with every column the summary groups them by: read
-- without visiting the table (an index-only scan once vacuum has passed).
CREATE INDEX events_week ON events (occurred_at) INCLUDE (ticket_id, enterprise, category, level, score);

-- The tickets open at the end of a week are those open now (few, whatever
-- the history) plus those closed since.
CREATE INDEX tickets_open ON tickets (opened_at) WHERE closed_at IS NULL AND status <> 'merged';
CREATE INDEX tickets_closed ON tickets (closed_at) WHERE closed_at IS NOT NULL;

-- The clocks that ended (breached or stopped) in a week.
CREATE INDEX ticket_clocks_ended ON ticket_clocks ((coalesce(breached_at, stopped_at)));

-- +goose Down
DROP INDEX ticket_clocks_ended;
DROP INDEX tickets_closed;
DROP INDEX tickets_open;
DROP INDEX events_week;
ALTER TABLE events DROP COLUMN score;
