package postgres

import (
	"strings"
	"testing"
)

// Plans of distinct tickets are written in rounds, each plan in its own
// order, and the same single-row INSERTs of a round become one statement.
func TestFoldPlans(t *testing.T) {
	clock := `INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at) VALUES ($1, $2, $3, $4, $5, $6)`
	upd := `UPDATE tickets SET status = $2 WHERE id = $1`
	out := `
INSERT INTO outbox (topic, subject, payload)
SELECT $1, $2, $3::jsonb || jsonb_build_object('n', (SELECT e.name FROM enterprises e WHERE e.credit_code = $4))`
	mk := func(id int64) plan {
		return plan{ticketID: id, stmts: []stmt{{upd, []any{id, "dispatched"}}, {clock, []any{id, "town", "accept", 1, 2, 3}}}}
	}
	news := plan{stmts: []stmt{{out, []any{"a", "s", "{}", "e1"}}, {out, []any{"b", "s", "{}", "e2"}}}}
	got := foldPlans([]plan{mk(1), mk(2), news})
	if len(got) != 4 {
		t.Fatalf("%d statements, want 2 updates, one clock insert and one outbox insert: %v", len(got), got)
	}
	if got[0].sql != upd || got[1].sql != upd {
		t.Errorf("the updates were not left alone: %v", got[:2])
	}
	if !strings.Contains(got[2].sql, "($7, $8, $9, $10, $11, $12)") || len(got[2].args) != 12 {
		t.Errorf("clock inserts folded as %q with %d args", got[2].sql, len(got[2].args))
	}
	if !strings.Contains(got[3].sql, "UNION ALL\nSELECT $5, $6, $7::jsonb") || !strings.Contains(got[3].sql, "= $8))") || len(got[3].args) != 8 {
		t.Errorf("outbox inserts folded as %q with %d args", got[3].sql, len(got[3].args))
	}
	// The same ticket twice: nothing is reordered or folded.
	got = foldPlans([]plan{mk(1), mk(1)})
	if len(got) != 4 || got[0].sql != upd || got[1].sql != clock || got[2].sql != upd {
		t.Errorf("plans of one ticket were reordered: %v", got)
	}
}

func TestFoldableStatementsOfTheDoor(t *testing.T) {
	for _, sql := range []string{
		"\nINSERT INTO ticket_history (ticket_id, at, actor, kind, from_value, to_value, note, data) VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8)",
		`INSERT INTO ticket_clocks (ticket_id, tier, kind, started_at, remind_at, due_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		`
INSERT INTO outbox (topic, subject, payload)
SELECT $1, $2, $3::jsonb || jsonb_strip_nulls(jsonb_build_object(
    'enterprise_name', (SELECT e.name FROM enterprises e WHERE e.credit_code = $4),
    'unit_name', (SELECT u.name_zh FROM units u WHERE u.code = $5)))`,
	} {
		if _, _, _, ok := foldable(sql); !ok {
			t.Errorf("not foldable: %s", sql)
		}
	}
}
