package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Citus readiness (#15 item 4): distributing the database by county needs
// the county code on every table a county's work writes, so that a
// county's rows land on one worker. These tables carry it now.
var carriesCounty = map[string]string{
	"tickets":                  "county_code",
	"events":                   "county_code",
	"event_days":               "county_code",
	"enterprise_days":          "county_code",
	"visits":                   "county_code",
	"enterprise_union_history": "county_code",
	"contacts":                 "county_code",
	"contact_history":          "county_code",
	"partners":                 "county_code",
	"hotline_cases":            "county_code",
	"hotline_counters":         "county_code",
	"feed":                     "county_code",
	"backlog_ends":             "county_code",
}

// The tables that do not carry it yet, each with the reason and what a move
// to Citus would do with it. A new table must be put in one list or the
// other: the test fails on a table in neither.
var countyAllowList = map[string]string{
	// Shared by every county: Citus reference tables (copied to each worker).
	"units":       "the territory (counties and towns): a reference table",
	"privacy_key": "one key for the whole installation: a reference table",
	"rollup_zone": "the daily rollup's time zone, one row for the whole installation: a reference table",
	"backlog_snapshots": "one row per local midnight for the whole installation (the snapshot's instant and " +
		"age buckets); its rows per county are in backlog_ends: a reference table",
	"goose_db_version": "the migrations' bookkeeping: stays on the coordinator",
	// Keyed by the event id across counties on purpose.
	"inbox": "the event id's uniqueness across all counties and months (D4); under Citus it stays on the " +
		"coordinator or becomes (county_code, event_id), unique per county, since the subject fixes the county",
	"dead_letters": "a message that could not be read may name no enterprise and so no county; small, " +
		"kept on the coordinator",
	"outbox": "notifications on their way out; the subject names the county; short-lived rows on the " +
		"coordinator",
	"webhook_deliveries": "deliveries of outbox rows; short-lived, with the outbox",
	"feed_state": "the feed's one row (its horizon): positions are assigned in one serialized step for the " +
		"whole installation (D3); stays on the coordinator",
	"feed_destinations": "how far each push destination of the feed got; a handful of rows, on the coordinator",
	// People and sessions: scoped by unit, not by county.
	"users":            "scope_unit may be a county, a town or none (province staff); a reference table",
	"user_grids":       "a grid worker's grids: with users",
	"tokens":           "bearer tokens of users: with users",
	"web_sessions":     "console sessions of users: with users",
	"login_failures":   "sign-in throttling by user name and address: with users",
	"identity_readers": "who may read identities: with users",
	// Registry: the county is the first 6 digits of town_code.
	"enterprises": "town_code's first 6 digits are the county; distribute by a county_code added from it",
	"grids":       "town_code's first 6 digits are the county; a reference table (few rows)",
	// A ticket's children reach the county through ticket_id. Under Citus
	// they need county_code (and it in their keys) to sit with their ticket.
	"ticket_history":    "child of tickets (ticket_id); partitioned by month; next: county_code copied from the ticket",
	"ticket_clocks":     "child of tickets (ticket_id); next: county_code copied from the ticket",
	"ticket_contacts":   "child of tickets (ticket_id); next: county_code copied from the ticket",
	"ticket_notes":      "child of tickets (ticket_id); next: county_code copied from the ticket",
	"payment_followups": "child of tickets (ticket_id); next: county_code copied from the ticket",
	"referrals":         "child of tickets (ticket_id); next: county_code copied from the ticket",
	"referral_updates":  "child of referrals and tickets (ticket_id); next: county_code copied from the ticket",
	"handoffs":          "between two counties (from_county, to_county): under Citus a reference table, or one row per side",
	"identity_reads":    "child of tickets (ticket_id); an audit log, next: county_code copied from the ticket",
	"weekly_summaries":  "unit_code is a county or a town (whose first 6 digits are the county)",
	"union_circulars":   "unit_code is a county or a town (whose first 6 digits are the county)",
	"period_reports":    "unit_code is a county or a town (whose first 6 digits are the county)",
}

func TestEveryCountyTableCarriesTheCounty(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	// Every table (a partition counts as its parent).
	rows, err := db.Pool().Query(ctx, `
SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'county_code' AND NOT a.attisdropped)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	type table struct {
		name   string
		county bool
	}
	var tables []table
	for rows.Next() {
		var tb table
		if err := rows.Scan(&tb.name, &tb.county); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range tables {
		names = append(names, tb.name)
		_, carries := carriesCounty[tb.name]
		reason, allowed := countyAllowList[tb.name]
		switch {
		case carries && !tb.county:
			t.Errorf("%s should carry county_code and does not", tb.name)
		case carries && allowed:
			t.Errorf("%s is in both lists", tb.name)
		case !carries && tb.county && allowed:
			t.Errorf("%s carries county_code now: move it from the allow-list (%q) to carriesCounty", tb.name, reason)
		case !carries && !allowed:
			t.Errorf("table %s is in neither list: give it county_code, or allow-list it with the reason", tb.name)
		}
	}
	for name := range carriesCounty {
		if !slices.Contains(names, name) {
			t.Errorf("carriesCounty names %s, which does not exist", name)
		}
	}
	for name := range countyAllowList {
		if !slices.Contains(names, name) {
			t.Errorf("the allow-list names %s, which does not exist", name)
		}
	}

	// The county an event carries is its ticket's (and its subject's), so
	// an event and its ticket land on the same worker.
	if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{
		incoming("c1", entA, "wage_arrears", 3, t0), incoming("c2", entB, "layoff", 150, t0),
	}, nil); err != nil {
		t.Fatal(err)
	}
	var bad, n int
	if err := db.Pool().QueryRow(ctx, `
SELECT count(*) FILTER (WHERE e.county_code <> t.county_code OR e.subject <> $1 || e.county_code OR e.county_code = ''), count(*)
FROM events e JOIN tickets t ON t.id = e.ticket_id`, gridwarn.EventSubjectPrefix).Scan(&bad, &n); err != nil {
		t.Fatal(err)
	}
	if n != 2 || bad != 0 {
		t.Errorf("%d of %d events carry another county than their ticket's and subject's", bad, n)
	}
}
