package postgres_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// The schema spells out lists of states in its check constraint and its
// partial indexes (SQL cannot call Go). Each must be the list the domain
// gives: adding a state to gridwarn.Statuses, or changing which states are
// open, fails here until a migration follows. (The lists the Go code sends
// come from the domain and the workflow table: states.go.)
func TestSchemaStateLists(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	ended := gridwarn.EndedStatuses()
	cases := []struct {
		name, query string
		want        []gridwarn.Status
	}{
		{"check tickets_status_check (every state)",
			`SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'tickets_status_check'`, gridwarn.Statuses},
		{"index tickets_one_open (not open)",
			`SELECT pg_get_indexdef('tickets_one_open'::regclass)`, ended},
		{"index tickets_queue (open)",
			`SELECT pg_get_indexdef('tickets_queue'::regclass)`, gridwarn.OpenStatuses()},
		{"index tickets_open (closed by closed_at, and the rest of the ended)",
			`SELECT pg_get_indexdef('tickets_open'::regclass)`,
			slices.DeleteFunc(slices.Clone(ended), func(s gridwarn.Status) bool { return s == gridwarn.StatusClosed })},
		{"index tickets_closed_by_enterprise (closed)",
			`SELECT pg_get_indexdef('tickets_closed_by_enterprise'::regclass)`, []gridwarn.Status{gridwarn.StatusClosed}},
	}
	literal := regexp.MustCompile(`'([a-z_]+)'::text`)
	for _, c := range cases {
		var def string
		if err := db.Pool().QueryRow(ctx, c.query).Scan(&def); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []gridwarn.Status
		for _, m := range literal.FindAllStringSubmatch(def, -1) {
			// Other literals ('handoff', the rules_version of a hand-off's
			// linked case, in tickets_one_open) are not states.
			if s := gridwarn.Status(m[1]); s.Valid() && !slices.Contains(got, s) {
				got = append(got, s)
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s: the schema lists %v, the domain %v\n%s", c.name, got, want, def)
		}
	}
}
