-- tickets.next_due_at (migration 00026) kept for less (issue #18): the
-- statement trigger on ticket_clocks computed each changed ticket's
-- earliest running clock twice (once to compare, once to set: two index
-- scans of ticket_clocks per ticket) and, on the engine's batches, ran
-- after every opened ticket's clocks. It now computes it once per ticket
-- (a LATERAL join) and still writes only the tickets whose value changed;
-- the engine's dispatch of a new ticket writes next_due_at itself in the
-- step's UPDATE (postgres.planChange), so for those the trigger writes
-- nothing.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION tickets_next_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets t SET next_due_at = d.due
    FROM (SELECT DISTINCT ticket_id FROM changed) k
    CROSS JOIN LATERAL (SELECT min(c.due_at) AS due FROM ticket_clocks c
                        WHERE c.ticket_id = k.ticket_id AND c.stopped_at IS NULL) d
    WHERE t.id = k.ticket_id AND t.next_due_at IS DISTINCT FROM d.due;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION tickets_next_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets t SET next_due_at = d.due
    FROM (SELECT k.ticket_id, (SELECT min(c.due_at) FROM ticket_clocks c
                               WHERE c.ticket_id = k.ticket_id AND c.stopped_at IS NULL) AS due
          FROM (SELECT DISTINCT ticket_id FROM changed) k) d
    WHERE t.id = d.ticket_id AND t.next_due_at IS DISTINCT FROM d.due;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
