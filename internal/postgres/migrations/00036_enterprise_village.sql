-- +goose Up
-- The village or residential community (村、社区) an enterprise lies in
-- (issue 16, D12): an optional column of the registry, '' where the
-- registry does not say. Seed 004's cadres' yearly target counts villages
-- (90 %); the coverage measures them only where the registry names them.
ALTER TABLE enterprises ADD COLUMN village text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE enterprises DROP COLUMN village;
