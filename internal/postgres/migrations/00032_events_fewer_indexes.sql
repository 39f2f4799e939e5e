-- Every index on events is paid for by every event the engine writes
-- (issue 18). events_occurred (occurred_at) duplicates the leading column
-- of events_week (occurred_at INCLUDE …): every query that ranged over
-- occurred_at with it uses events_week instead (EXPLAIN in the README's
-- Performance section), so it is only a write cost.

-- +goose Up
DROP INDEX events_occurred;

-- +goose Down
CREATE INDEX events_occurred ON events (occurred_at);
