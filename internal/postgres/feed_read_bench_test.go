package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// BenchmarkFeedRead measures what the 12351 reply's join (a ticket's
// platform work order, migration 00037) costs a feed read: pages of 1000
// events from a feed of 5000 changes over 20 enterprises, 5 of which have a
// case from a platform. A measurement, not a test.
//
//	go test -run '^$' -bench FeedRead -benchtime 50x ./internal/postgres
func BenchmarkFeedRead(b *testing.B) {
	ctx := context.Background()
	url := testutil.MustCreateDatabase(b)
	db, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	ents := make([]string, 20)
	for i := range ents {
		ents[i] = testutil.CreditCode(100 + i)
	}
	seq := 0
	for range 50 {
		batch := make([]gridwarn.Incoming, 100)
		for i := range batch {
			seq++
			batch[i] = incoming(fmt.Sprintf("new-%09d", seq), ents[seq%len(ents)], "wage_arrears", 1+seq%20, t0)
			batch[i].StreamSeq = uint64(seq)
		}
		if _, err := db.ApplyBatch(ctx, batch, nil); err != nil {
			b.Fatal(err)
		}
	}
	for i, e := range ents[:5] {
		if _, err := db.Pool().Exec(ctx, `
INSERT INTO hotline_cases (county_code, work_order, platform_order, status, intake_type, class, enterprise, category,
    filed_by, filed_at, due_at, event_id)
SELECT '320924', $1, $2, 'forwarded', 'help', 'ordinary', $3, 'wage_arrears', 'hotline', now(), now(), ev.id
FROM events ev WHERE ev.enterprise = $3 LIMIT 1`, fmt.Sprintf("12351-20261206-%04d", i+1), fmt.Sprintf("YC-%d", i), e); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.PositionFeed(ctx); err != nil {
		b.Fatal(err)
	}
	// As autovacuum would have: without statistics the planner does not
	// memoize the join per ticket.
	if _, err := db.Pool().Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	var total int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM feed").Scan(&total); err != nil || total < 4000 {
		b.Fatalf("feed of %d changes (%v)", total, err)
	}
	for _, c := range []struct {
		name      string
		withReply bool
	}{{"without-reply", false}, {"with-reply", true}} {
		b.Run(c.name, func(b *testing.B) {
			q := postgres.FeedReadSQL(c.withReply)
			read := func() int {
				rows, err := db.Pool().Query(ctx, q, 0, 1000)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					n++
				}
				if rows.Err() != nil {
					b.Fatal(rows.Err())
				}
				return n
			}
			read()
			n := 0
			blocks0 := blocksTouched(b, db)
			b.ResetTimer()
			for b.Loop() {
				n += read()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/event")
			b.ReportMetric(float64(blocksTouched(b, db)-blocks0)/float64(n), "blocks/event")
		})
	}
}
