package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
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
			db, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 4})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if err := db.MigrateUpTo(ctx, c.version); err != nil {
				b.Fatal(err)
			}
			ents := make([]string, 20)
			for i := range ents {
				ents[i] = testutil.CreditCode(100 + i)
			}
			if c.behind > 0 {
				prefill(b, db, ents, c.behind, c.partitioned)
			}
			n := 0
			b.ResetTimer()
			for b.Loop() {
				batch := make([]gridwarn.Incoming, 100)
				for i := range batch {
					n++
					batch[i] = incoming(fmt.Sprintf("new-%09d", n), ents[n%len(ents)], "wage_arrears", 1+n%20, t0)
					batch[i].StreamSeq = uint64(10_000_000 + n)
				}
				if _, err := db.ApplyBatch(ctx, batch, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/event")
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
