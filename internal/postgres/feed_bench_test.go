package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// BenchmarkApplyBatchFeed measures what the feed (migration 30: each
// history line numbered per ticket, with the ticket's state and the
// transaction id) costs the engine's insert: ApplyBatch of 100 new events
// over 20 enterprises, before the feed (version 23) and with it (30). A
// measurement, not a test.
//
//	go test -run '^$' -bench ApplyBatchFeed -benchtime 200x ./internal/postgres
func BenchmarkApplyBatchFeed(b *testing.B) {
	for _, c := range []struct {
		name    string
		version int64
	}{{"without-feed", 23}, {"with-feed", 30}} {
		b.Run(c.name, func(b *testing.B) {
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
			ents := make([]string, 20)
			for i := range ents {
				ents[i] = testutil.CreditCode(100 + i)
			}
			n, seq := 0, 0
			apply := func() {
				batch := make([]gridwarn.Incoming, 100)
				for i := range batch {
					n, seq = n+1, seq+1
					batch[i] = incoming(fmt.Sprintf("new-%09d", seq), ents[seq%len(ents)], "wage_arrears", 1+seq%20, t0)
					batch[i].StreamSeq = uint64(seq)
				}
				if res, err := db.ApplyBatch(ctx, batch, nil); err != nil || res.Stored != len(batch) {
					b.Fatalf("apply: %+v, %v", res, err)
				}
			}
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
			b.ReportMetric(float64(blocksTouched(b, db)-blocks0)/float64(n), "blocks/event")
		})
	}
}
