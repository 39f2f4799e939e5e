-- +goose Up
-- What a reporter saw of the owner (event contract owner_status): the rules
-- read it, and a replay (rules diff, what-if) must read it back.
ALTER TABLE events ADD COLUMN owner_status text CHECK (owner_status IN ('absconded', 'unreachable'));

-- +goose Down
ALTER TABLE events DROP COLUMN owner_status;
