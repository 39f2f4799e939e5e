package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// BenchmarkApplyBatchBehind measures the engine's insert (ApplyBatch, 100
// new events over 20 enterprises) into an empty database and into one with
// a year of events behind it (GRIDWARN_BENCH_BEHIND, default 1,000,000,
// spread evenly over the past 12 months, with their inbox and history
// rows), partitioned by month (the current schema) and flat (the schema
// before migration 14). A measurement, not a test: it asserts nothing
// about time.
//
//	go test -run '^$' -bench ApplyBatchBehind -benchtime 200x ./internal/postgres
func BenchmarkApplyBatchBehind(b *testing.B) {
	behind := 1_000_000
	if s := os.Getenv("GRIDWARN_BENCH_BEHIND"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		behind = n
	}
	for _, c := range []struct {
		name        string
		version     int64
		behind      int
		partitioned bool
	}{
		{"partitioned/empty", 14, 0, true},
		{fmt.Sprintf("partitioned/behind=%d", behind), 14, behind, true},
		{"flat/empty", 13, 0, false},
		{fmt.Sprintf("flat/behind=%d", behind), 13, behind, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			url := testutil.MustCreateDatabase(b)
			// One connection: the block counts below are this backend's.
			db, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if err := db.MigrateUpTo(ctx, c.version); err != nil {
				b.Fatal(err)
			}
			mustRollupTables(b, db)
			ents := make([]string, 20)
			for i := range ents {
				ents[i] = testutil.CreditCode(100 + i)
			}
			if c.behind > 0 {
				prefill(b, db, ents, c.behind, c.partitioned)
			}
			// Autovacuum would add its own block reads to the count.
			if _, err := db.Pool().Exec(ctx, `DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace LOOP
        EXECUTE format('ALTER TABLE %I SET (autovacuum_enabled = false)', r.relname);
    END LOOP;
END $$`); err != nil {
				b.Fatal(err)
			}
			n, seq := 0, 0
			apply := func() {
				batch := make([]gridwarn.Incoming, 100)
				for i := range batch {
					n, seq = n+1, seq+1
					batch[i] = incoming(fmt.Sprintf("new-%09d", seq), ents[seq%len(ents)], "wage_arrears", 1+seq%20, t0)
					batch[i].StreamSeq = uint64(10_000_000 + seq)
				}
				if res, err := db.ApplyBatch(ctx, batch, nil); err != nil || res.Stored != len(batch) {
					b.Fatalf("apply: %+v, %v", res, err)
				}
			}
			// Warm the backend's catalog caches (more relations to load
			// when partitioned) before counting.
			for range 10 {
				apply()
			}
			n = 0
			blocks0 := blocksTouched(b, db)
			b.ResetTimer()
			for b.Loop() {
				apply()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/event")
			// Shared buffers hit or read per event: what the inserts cost the
			// database in pages, whatever else the machine is doing.
			b.ReportMetric(float64(blocksTouched(b, db)-blocks0)/float64(n), "blocks/event")
		})
	}
}

// prefill stores n events (with their inbox and history rows) over the
// past year, on tickets of ents, straight in SQL; in a partitioned database
// each past month gets its partition first, as the scheduler would have
// created it.
func prefill(b *testing.B, db *postgres.DB, ents []string, n int, partitioned bool) {
	b.Helper()
	ctx := context.Background()
	var seed []gridwarn.Incoming
	for i, e := range ents {
		seed = append(seed, incoming(fmt.Sprintf("seed-%d", i), e, "layoff", 1, t0))
	}
	if _, err := db.ApplyBatch(ctx, seed, nil); err != nil {
		b.Fatal(err)
	}
	stmts := []string{}
	if partitioned {
		stmts = append(stmts, `SELECT gridwarn_ensure_month_partition('events', (current_date - make_interval(months => m))::date),
       gridwarn_ensure_month_partition('ticket_history', (current_date - make_interval(months => m))::date)
FROM generate_series(1, 12) m`)
	}
	stmts = append(stmts,
		`CREATE TEMP TABLE pre AS
SELECT g, 'pre-' || lpad(g::text, 9, '0') AS id, t.id AS ticket_id, t.enterprise,
       now() - make_interval(secs => (365 * 86400.0) * g / $1) AS at
FROM generate_series(1, $1) g
JOIN LATERAL (SELECT id, enterprise FROM tickets ORDER BY id OFFSET (g % (SELECT count(*) FROM tickets)) LIMIT 1) t ON true`,
		`INSERT INTO inbox (event_id, stream_seq, received_at) SELECT id, g, at FROM pre`,
		`INSERT INTO events (id, ticket_id, enterprise, category, occurred_at, workers_involved, level, decision, subject, stream_seq, received_at)
SELECT id, ticket_id, enterprise, 'layoff', at - interval '1 hour', 1 + g % 20, 'blue', '{"level":"blue","tier":"enterprise","score":1}',
       'gridwarn.events.' || substr(enterprise, 3, 6), g, at FROM pre`,
		`INSERT INTO ticket_history (ticket_id, at, actor, kind, event_id, to_value, data)
SELECT ticket_id, at, 'engine', 'event_attached', id, 'blue', '{"level":"blue"}' FROM pre`,
		`DROP TABLE pre`,
		`VACUUM ANALYZE`,
	)
	conn, err := db.Pool().Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	for _, q := range stmts {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, n)
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
}

// blocksTouched is the database's shared-buffer hits and reads so far, with
// the (only) backend's statistics flushed first.
func blocksTouched(b *testing.B, db *postgres.DB) int64 {
	b.Helper()
	ctx := context.Background()
	if _, err := db.Pool().Exec(ctx, "SELECT pg_stat_force_next_flush()"); err != nil {
		b.Fatal(err)
	}
	var n int64
	if err := db.Pool().QueryRow(ctx, `SELECT pg_stat_clear_snapshot() IS NULL AND true,
  (SELECT blks_hit + blks_read FROM pg_stat_database WHERE datname = current_database())`).Scan(new(bool), &n); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkMigration14 measures migration 00014 (events and ticket_history
// rewritten into monthly partitions) on a database holding
// GRIDWARN_BENCH_BEHIND events (default 1,000,000) with their inbox and
// history rows: how long the engine waits while an existing installation
// upgrades. A measurement, not a test.
//
//	go test -run '^$' -bench Migration14 -benchtime 1x ./internal/postgres
func BenchmarkMigration14(b *testing.B) {
	behind := 1_000_000
	if s := os.Getenv("GRIDWARN_BENCH_BEHIND"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		behind = n
	}
	b.StopTimer()
	for range b.N {
		ctx := context.Background()
		url := testutil.MustCreateDatabase(b)
		db, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 2})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.MigrateUpTo(ctx, 13); err != nil {
			b.Fatal(err)
		}
		mustRollupTables(b, db)
		ents := make([]string, 20)
		for i := range ents {
			ents[i] = testutil.CreditCode(100 + i)
		}
		prefill(b, db, ents, behind, false)
		b.StartTimer()
		if err := db.MigrateUpTo(ctx, 14); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
	}
	b.ReportMetric(float64(behind), "events")
}

// BenchmarkWeeklySummaryBehind measures the county's weekly summary of the
// last complete week (with the week before and an 8-week trend) over a year
// of GRIDWARN_BENCH_BEHIND events (default 1,000,000), partitioned by month
// and flat, in shared-buffer pages per build: what reading the weeks costs
// once the months are partitions. A measurement, not a test.
//
//	go test -run '^$' -bench WeeklySummaryBehind -benchtime 20x ./internal/postgres
func BenchmarkWeeklySummaryBehind(b *testing.B) {
	behind := 1_000_000
	if s := os.Getenv("GRIDWARN_BENCH_BEHIND"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		behind = n
	}
	for _, c := range []struct {
		name        string
		version     int64
		partitioned bool
	}{{"partitioned", 14, true}, {"flat", 13, false}} {
		b.Run(fmt.Sprintf("%s/behind=%d", c.name, behind), func(b *testing.B) {
			ctx := context.Background()
			url := testutil.MustCreateDatabase(b)
			db, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if err := db.MigrateUpTo(ctx, c.version); err != nil {
				b.Fatal(err)
			}
			mustRollupTables(b, db)
			ents := make([]string, 20)
			for i := range ents {
				ents[i] = testutil.CreditCode(100 + i)
			}
			prefill(b, db, ents, behind, c.partitioned)
			county := gridwarn.Unit{Kind: gridwarn.UnitCounty, Code: ents[0][2:8]}
			span := func(w gridwarn.Week) postgres.WeekSpan {
				from, to := isoweek.Bounds(w, isoweek.Shanghai)
				return postgres.WeekSpan{Week: w, ISO: isoweek.Format(w), From: from, To: to}
			}
			week := isoweek.Previous(isoweek.Of(time.Now(), isoweek.Shanghai))
			var trend []postgres.WeekSpan
			for _, w := range isoweek.Last(week, 8) {
				trend = append(trend, span(w))
			}
			build := func() int {
				s, err := db.BuildWeeklySummary(ctx, postgres.SummaryScope{Unit: county}, span(week), span(isoweek.Previous(week)), trend, isoweek.Shanghai.String())
				if err != nil {
					b.Fatal(err)
				}
				return s.Headline.Events
			}
			events := build() // warm the caches
			blocks0 := blocksTouched(b, db)
			b.ResetTimer()
			for b.Loop() {
				build()
			}
			b.StopTimer()
			b.ReportMetric(float64(blocksTouched(b, db)-blocks0)/float64(b.N), "blocks/build")
			b.ReportMetric(float64(events), "events/week")
		})
	}
}
