-- The governance platform's own account and the 12351 reply (issue 17,
-- DECISIONS D12).
--
-- The platform reads the feed through an account of role 'platform' that
-- may do nothing else (POST /api/v1/platforms). Feed events of a ticket fed
-- by a 12351 work order from the city or province platform carry the
-- county's and the platform's order numbers (the reply, 回单); the feed
-- finds the case of a ticket through this partial index, which holds only
-- such cases (most enterprises have none, so most feed rows cost one probe
-- of an empty range).

-- +goose Up
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_known;
ALTER TABLE users ADD CONSTRAINT users_role_known
    CHECK (role IN ('grid_worker', 'reporter', 'mediator', 'leader', 'admin', 'partner', 'hotline_operator', 'platform'));

CREATE INDEX hotline_cases_platform_orders ON hotline_cases (enterprise, id)
    WHERE platform_order IS NOT NULL AND event_id IS NOT NULL;

-- +goose Down
DROP INDEX hotline_cases_platform_orders;
DELETE FROM tokens WHERE user_id IN (SELECT id FROM users WHERE role = 'platform');
DELETE FROM users WHERE role = 'platform';
ALTER TABLE users DROP CONSTRAINT users_role_known;
ALTER TABLE users ADD CONSTRAINT users_role_known
    CHECK (role IN ('grid_worker', 'reporter', 'mediator', 'leader', 'admin', 'partner', 'hotline_operator'));
