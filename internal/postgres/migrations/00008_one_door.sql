-- +goose Up
-- A relapse (new signals after a ticket closed) is a new ticket that
-- records the closed ticket it relapses from (DOMAIN.md, DECISIONS D6).
ALTER TABLE tickets ADD COLUMN relapse_of bigint REFERENCES tickets (id);
CREATE INDEX tickets_relapse_of ON tickets (relapse_of) WHERE relapse_of IS NOT NULL;
-- The engine finds the enterprise's last closed ticket of a category.
CREATE INDEX tickets_closed_by_enterprise ON tickets (enterprise, category, closed_at DESC) WHERE status = 'closed';

-- +goose Down
DROP INDEX tickets_closed_by_enterprise;
DROP INDEX tickets_relapse_of;
ALTER TABLE tickets DROP COLUMN relapse_of;
