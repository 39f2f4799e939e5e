package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// openUnmigrated opens a fresh database with no migration applied.
func openUnmigrated(t *testing.T) *postgres.DB {
	t.Helper()
	url := testutil.MustCreateDatabase(t)
	db, err := postgres.Open(context.Background(), postgres.Options{URL: url, MaxConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func scalar[T any](t *testing.T, db *postgres.DB, q string, args ...any) T {
	t.Helper()
	var v T
	if err := db.Pool().QueryRow(context.Background(), q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// where lists each event id with the partition holding it.
func where(t *testing.T, db *postgres.DB, table, idCol string) map[string]string {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(), fmt.Sprintf("SELECT %s::text, tableoid::regclass::text FROM %s", idCol, table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var id, part string
		if err := rows.Scan(&id, &part); err != nil {
			t.Fatal(err)
		}
		m[id] = part
	}
	return m
}

// The migration partitions a database that already holds events and
// history: every row is kept, in its month, the history's ids go on from
// the highest, and the way back keeps every row too.
func TestMigrationPartitionsExistingRows(t *testing.T) {
	db := openUnmigrated(t)
	ctx := context.Background()
	if err := db.MigrateUpTo(ctx, 13); err != nil {
		t.Fatal(err)
	}
	mustRollupTables(t, db)
	if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{
		incoming("e1", entA, "wage_arrears", 3, t0), incoming("e2", entB, "layoff", 40, t0),
	}, nil); err != nil {
		t.Fatal(err)
	}
	// An old event and old history, stored in March 2025 (before the move
	// to partitions nothing stops rewriting received_at).
	if _, err := db.Pool().Exec(ctx, "UPDATE events SET received_at = '2025-03-10 12:00:00+00' WHERE id = 'e1'"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO ticket_history (ticket_id, at, actor, kind)
SELECT ticket_id, '2025-03-11 00:00:00+00', 'test', 'note' FROM events WHERE id = 'e1'`); err != nil {
		t.Fatal(err)
	}
	maxID := scalar[int64](t, db, "SELECT max(id) FROM ticket_history")
	history := scalar[int64](t, db, "SELECT count(*) FROM ticket_history")

	if err := db.MigrateUpTo(ctx, 14); err != nil {
		t.Fatal(err)
	}
	if k := scalar[string](t, db, "SELECT relkind::text FROM pg_class WHERE relname = 'events'"); k != "p" {
		t.Fatalf("events relkind = %q, want p (partitioned)", k)
	}
	got := where(t, db, "events", "id")
	if got["e1"] != "events_2025_03" || len(got) != 2 {
		t.Errorf("events by partition = %v, want e1 in events_2025_03 and two events", got)
	}
	month := "events_" + time.Now().UTC().Format("2006_01")
	if got["e2"] != month {
		t.Errorf("e2 in %s, want %s (stored this month)", got["e2"], month)
	}
	if c := scalar[string](t, db, "SELECT county_code FROM events WHERE id = 'e2'"); c != entB[2:8] {
		t.Errorf("county_code = %q, want %q", c, entB[2:8])
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM ticket_history"); n != history {
		t.Errorf("history rows = %d after the migration, want %d", n, history)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM ticket_history_2025_03"); n != 1 {
		t.Errorf("history rows in March 2025 = %d, want 1", n)
	}
	// New history goes on above the old ids.
	if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{incoming("e3", entA, "wage_arrears", 3, t0)}, nil); err != nil {
		t.Fatal(err)
	}
	if n := scalar[int64](t, db, "SELECT min(id) FROM ticket_history WHERE id > $1", maxID); n != maxID+1 {
		t.Errorf("first new history id = %d, want %d", n, maxID+1)
	}
	// Partitions for this month and the two after exist.
	for m := 0; m <= postgres.PartitionsAhead; m++ {
		d := time.Now().UTC()
		d = time.Date(d.Year(), d.Month()+time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		for _, tb := range []string{"events", "ticket_history"} {
			name := tb + "_" + d.Format("2006_01")
			if !scalar[bool](t, db, "SELECT to_regclass($1) IS NOT NULL", name) {
				t.Errorf("partition %s missing", name)
			}
		}
	}

	if err := db.MigrateDownTo(ctx, 13); err != nil {
		t.Fatal(err)
	}
	if k := scalar[string](t, db, "SELECT relkind::text FROM pg_class WHERE relname = 'events'"); k != "r" {
		t.Fatalf("after down: events relkind = %q, want r", k)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM events"); n != 3 {
		t.Errorf("after down: %d events, want 3", n)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM ticket_history WHERE at < '2025-04-01'"); n != 1 {
		t.Errorf("after down: %d March 2025 history rows, want 1", n)
	}
	if _, err := db.Pool().Exec(ctx, "DELETE FROM ticket_history"); err == nil {
		t.Error("after down: the history is no longer append-only")
	}
	if err := db.MigrateUpTo(ctx, 14); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM events"); n != 3 {
		t.Errorf("up again: %d events, want 3", n)
	}
}

// A row whose month has no partition waits in the default partition and
// moves into its month when the partition is created; replicas creating
// partitions at once create each one once.
func TestEnsurePartitionsMovesDefaultRowsOnce(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{incoming("e1", entA, "wage_arrears", 3, t0)}, nil); err != nil {
		t.Fatal(err)
	}
	// Stored in January 2031 (a clock far off): no partition yet.
	if _, err := db.Pool().Exec(ctx, "UPDATE events SET received_at = '2031-01-15 00:00:00+00' WHERE id = 'e1'"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `INSERT INTO ticket_history (ticket_id, at, actor, kind)
SELECT ticket_id, '2031-01-20 00:00:00+00', 'test', 'note' FROM events WHERE id = 'e1'`); err != nil {
		t.Fatal(err)
	}
	if got := where(t, db, "events", "id")["e1"]; got != "events_default" {
		t.Fatalf("e1 in %s, want events_default", got)
	}
	history := scalar[int64](t, db, "SELECT count(*) FROM ticket_history")

	const replicas = 4
	created := make([]int, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			created[i], errs[i] = db.EnsurePartitions(ctx, time.Date(2030, 12, 31, 23, 0, 0, 0, time.UTC), 2)
		}()
	}
	wg.Wait()
	total := 0
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		total += created[i]
	}
	if total != 6 {
		t.Errorf("partitions created = %d over %d replicas, want 6 (Dec 2030 to Feb 2031, two tables)", total, replicas)
	}
	if got := where(t, db, "events", "id")["e1"]; got != "events_2031_01" {
		t.Errorf("e1 in %s after the partition was created, want events_2031_01", got)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM ticket_history_default"); n != 0 {
		t.Errorf("%d history rows left in the default partition, want 0", n)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM ticket_history"); n != history {
		t.Errorf("history rows = %d, want %d", n, history)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM ticket_history_2031_01"); n != 1 {
		t.Errorf("history rows in January 2031 = %d, want 1", n)
	}
	// Again: nothing to do.
	if n, err := db.EnsurePartitions(ctx, time.Date(2030, 12, 1, 0, 0, 0, 0, time.UTC), 2); err != nil || n != 0 {
		t.Errorf("second run created %d, %v; want 0", n, err)
	}
	// A partition and the default are as append-only as the whole history.
	for _, q := range []string{"UPDATE ticket_history_2031_01 SET note = 'x'", "DELETE FROM ticket_history_default", "TRUNCATE ticket_history_2031_01"} {
		if _, err := db.Pool().Exec(ctx, q); err == nil {
			t.Errorf("%s succeeded; the history must be append-only", q)
		}
	}
}

// The event id's uniqueness lives in the inbox (events' key is
// (id, received_at)): the same id delivered again in a later month is still
// stored once.
func TestEventIDStoredOnceAcrossMonths(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	ev := incoming("e1", entA, "wage_arrears", 3, t0)
	if _, err := db.ApplyBatch(ctx, []gridwarn.Incoming{ev}, nil); err != nil {
		t.Fatal(err)
	}
	// The stored copy is from two months ago (another partition).
	if _, err := db.Pool().Exec(ctx, "UPDATE events SET received_at = received_at - interval '62 days' WHERE id = 'e1'"); err != nil {
		t.Fatal(err)
	}
	res, err := db.ApplyBatch(ctx, []gridwarn.Incoming{ev, ev}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 0 || res.Duplicates != 2 {
		t.Errorf("redelivery a month later: %+v, want nothing stored", res)
	}
	if n := scalar[int64](t, db, "SELECT count(*) FROM events WHERE id = 'e1'"); n != 1 {
		t.Errorf("e1 stored %d times, want once", n)
	}
}

// mustRollupTables gives a database migrated below 00025 the daily
// rollup's tables, which today's batch writer fills in the batch's
// transaction (these tests write batches into older schemas).
func mustRollupTables(tb testing.TB, db *postgres.DB) {
	tb.Helper()
	if _, err := db.Pool().Exec(context.Background(), `
CREATE TABLE IF NOT EXISTS rollup_zone (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), name text NOT NULL);
INSERT INTO rollup_zone (name) VALUES ('Asia/Shanghai') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS event_days (county_code text, day date, town_code text, category text, level text, n bigint NOT NULL,
    PRIMARY KEY (county_code, day, town_code, category, level));
CREATE TABLE IF NOT EXISTS enterprise_days (county_code text, day date, town_code text, enterprise text, n bigint NOT NULL,
    score integer NOT NULL, level_rank smallint NOT NULL, PRIMARY KEY (county_code, day, town_code, enterprise))`); err != nil {
		tb.Fatal(err)
	}
}

// The rules' history read finds every event that occurred since the
// window's start — even one received gridwarn.MaxFutureLimit before it
// occurred, the most a reporter's clock may be ahead — and does not probe
// the partitions of events received before that (row 2c: two years of
// monthly partitions probed for every enterprise of every batch).
func TestHistorySkipsPartitionsReceivedLongAgo(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	now := time.Now()
	since := now.AddDate(0, 0, -90)
	old := now.AddDate(0, -8, 0)
	edge := since.Add(time.Hour)
	for _, day := range []time.Time{old, edge.Add(-gridwarn.MaxFutureLimit)} {
		if _, err := db.Pool().Exec(ctx, `SELECT gridwarn_ensure_partitions($1::date, 0)`, day); err != nil {
			t.Fatal(err)
		}
	}
	evs := []gridwarn.Incoming{
		incoming("h-recent", entA, "wage_arrears", 3, now.Add(-time.Hour)),
		incoming("h-edge", entA, "wage_arrears", 3, edge),
		incoming("h-old", entA, "wage_arrears", 3, old),
	}
	if _, err := db.ApplyBatch(ctx, evs, nil); err != nil {
		t.Fatal(err)
	}
	// h-edge reached the server a full day before it occurred, h-old eight
	// months ago: both move to the partitions of their months.
	if _, err := db.Pool().Exec(ctx, `UPDATE events SET received_at = occurred_at - $1::interval WHERE id = 'h-edge'`,
		gridwarn.MaxFutureLimit.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE events SET received_at = occurred_at WHERE id = 'h-old'`); err != nil {
		t.Fatal(err)
	}
	parts := where(t, db, "events", "id")
	if parts["h-old"] == parts["h-recent"] || parts["h-old"] == parts["h-edge"] {
		t.Fatalf("the events' partitions: %v, want h-old in a partition of its own", parts)
	}

	hist, err := db.Histories(ctx, []string{entA}, since)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range hist[entA].Signals {
		got = append(got, s.EventID)
	}
	if fmt.Sprint(got) != "[h-recent h-edge]" {
		t.Errorf("the history since %s: %v, want [h-recent h-edge] (newest first)", since.Format(time.DateOnly), got)
	}

	// The plan does not touch h-old's partition.
	rows, err := db.Pool().Query(ctx, "EXPLAIN (ANALYZE, COSTS OFF) "+postgres.HistorySignalsSQL,
		[]string{entA}, since, since.Add(-2*gridwarn.MaxFutureLimit))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if strings.Contains(text, parts["h-old"]) || !strings.Contains(text, parts["h-recent"]) {
		t.Errorf("the history read's plan, want %s pruned and %s scanned:\n%s", parts["h-old"], parts["h-recent"], text)
	}
}
