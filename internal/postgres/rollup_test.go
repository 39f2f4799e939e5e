package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// rollupOf is the daily rollup as stored, one line per row.
func rollupOf(t *testing.T, db *postgres.DB) (days, ents []string) {
	t.Helper()
	return lines(t, db, `SELECT county_code, day::text, town_code, category, level, n FROM event_days ORDER BY 1, 2, 3, 4, 5`),
		lines(t, db, `SELECT county_code, day::text, town_code, enterprise, n, score, level_rank FROM enterprise_days ORDER BY 1, 2, 3, 4`)
}

// rollupFromEvents is what the rollup must hold: a GROUP BY over the
// stored events in zone, each placed in its ticket's county and town.
func rollupFromEvents(t *testing.T, db *postgres.DB, zone string) (days, ents []string) {
	t.Helper()
	return lines(t, db, `
SELECT t.county_code, (e.occurred_at AT TIME ZONE $1)::date::text, coalesce(t.town_code, ''), e.category, e.level, count(*)
FROM events e JOIN tickets t ON t.id = e.ticket_id GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`, zone),
		lines(t, db, `
SELECT t.county_code, (e.occurred_at AT TIME ZONE $1)::date::text, coalesce(t.town_code, ''), e.enterprise, count(*),
       max(coalesce(e.score, 0)), coalesce(max(level_rank(e.level)), 0)
FROM events e JOIN tickets t ON t.id = e.ticket_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`, zone)
}

func lines(t *testing.T, db *postgres.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The engine's path keeps the daily rollup exactly: several engines apply
// overlapping batches of a random mix concurrently — events redelivered
// within a batch and across batches, absorbed into county tickets of
// another category, around midnight in Shanghai — and the rollup equals a
// GROUP BY over the events stored (each counted once), a rebuild gives the
// same rows, and the weekly summary and the dashboard's trend read from it
// equal those scanned from the events.
func TestRollupKeptByTheEngine(t *testing.T) {
	db := MustOpenDB(t)
	db.SetClockPlanner(absorbing{})
	ctx := context.Background()
	d := testutil.MustSeedDemoCounty(t, db)
	rng := rand.New(rand.NewPCG(18, 6))
	var ents []gridwarn.Enterprise
	for i := 0; i < len(d.Enterprises) && len(ents) < 16; i += 1 + len(d.Enterprises)/16 {
		ents = append(ents, d.Enterprises[i])
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	// Monday 2026-11-16 00:00 in Shanghai; events over the week and the
	// week before, many within an hour of a local midnight.
	monday := time.Date(2026, 11, 16, 0, 0, 0, 0, shanghai)
	var pool []gridwarn.Incoming
	for i := range 400 {
		e := ents[rng.IntN(len(ents))]
		at := monday.AddDate(0, 0, rng.IntN(14)-7).Add(time.Duration(rng.IntN(120)-60) * time.Minute)
		if i%3 == 0 {
			at = monday.AddDate(0, 0, rng.IntN(14)-7).Add(time.Duration(rng.IntN(24*60)) * time.Minute)
		}
		workers := []int{3, 12, 40, 150}[rng.IntN(4)]
		in := incoming(fmt.Sprintf("r-%d", i), e.CreditCode, gridwarn.Categories[rng.IntN(len(gridwarn.Categories))], workers, at)
		in.Enterprise = e
		in.Decision.Score = rng.IntN(100)
		in.StreamSeq = uint64(i + 1)
		pool = append(pool, in)
	}

	const engines, batches, size = 3, 12, 25
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []error
	)
	for k := range engines {
		r := rand.New(rand.NewPCG(uint64(k), 7))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range batches {
				var items []gridwarn.Incoming
				for range size {
					items = append(items, pool[r.IntN(len(pool))]) // repeats within and across batches
				}
				decide := func(map[string]gridwarn.History) []gridwarn.Incoming { return items }
				var err error
				for try := 0; try < 5; try++ { // as the engine: a batch that could not settle is redelivered
					if _, err = db.ApplyDecided(ctx, items, nil, time.Time{}, decide); err == nil {
						break
					}
					var pg *pgconn.PgError
					if errors.As(err, &pg) && pg.Code == "40P01" || strings.Contains(err.Error(), "deadlock") {
						break // a deadlock is a failure of the lock order, not something to retry
					}
				}
				if err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range failed {
		t.Error(err)
	}
	// Every event of the pool once more, redelivered: nothing changes.
	before, _ := rollupOf(t, db)
	if _, err := db.ApplyBatch(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	all := func(map[string]gridwarn.History) []gridwarn.Incoming { return pool }
	if _, err := db.ApplyDecided(ctx, pool, nil, time.Time{}, all); err != nil {
		t.Fatal(err)
	}

	days, entDays := rollupOf(t, db)
	wantDays, wantEnts := rollupFromEvents(t, db, "Asia/Shanghai")
	if diff := cmp.Diff(wantDays, days); diff != "" {
		t.Errorf("event_days differ from a GROUP BY over the events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantEnts, entDays); diff != "" {
		t.Errorf("enterprise_days differ from a GROUP BY over the events (-want +got):\n%s", diff)
	}
	var stored, counted int
	if err := db.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM events), (SELECT sum(n) FROM event_days)`).Scan(&stored, &counted); err != nil {
		t.Fatal(err)
	}
	if stored != len(pool) || counted != len(pool) {
		t.Errorf("%d events stored and %d counted; want each of the %d once", stored, counted, len(pool))
	}
	if len(before) == len(days) && cmp.Diff(before, days) == "" {
		t.Log("the batches had stored the whole pool before the redelivery")
	}
	var absorbed int
	_ = db.Pool().QueryRow(ctx, `SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.category <> t.category`).Scan(&absorbed)
	if absorbed == 0 {
		t.Log("no event was absorbed into a county ticket of another category")
	}

	// The summaries and the dashboard read the rollup; the same figures
	// scanned from the events (the rollup kept in another zone is not read).
	county := gridwarn.Unit{Code: testutil.County, Kind: gridwarn.UnitCounty, NameZH: "射阳县"}
	town := gridwarn.Unit{Code: testutil.TownA, Kind: gridwarn.UnitTown, NameZH: "A"}
	span := func(from time.Time, iso string) postgres.WeekSpan {
		return postgres.WeekSpan{ISO: iso, From: from, To: from.AddDate(0, 0, 7)}
	}
	week, prev := span(monday, "2026-W47"), span(monday.AddDate(0, 0, -7), "2026-W46")
	trend := []postgres.WeekSpan{span(monday.AddDate(0, 0, -14), "2026-W45"), prev, week}
	month := postgres.WeekSpan{ISO: "2026-11", From: time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai), To: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)}
	monthBefore := postgres.WeekSpan{ISO: "2026-10", From: time.Date(2026, 10, 1, 0, 0, 0, 0, shanghai), To: month.From}
	now := monday.AddDate(0, 0, 3).Add(15 * time.Hour)
	build := func() map[string]any {
		out := map[string]any{}
		for _, u := range []gridwarn.Unit{county, town} {
			s, err := db.BuildWeeklySummary(ctx, postgres.SummaryScope{Unit: u}, week, prev, trend, "Asia/Shanghai")
			if err != nil {
				t.Fatal(err)
			}
			out["week "+u.Code] = s
			m, err := db.BuildWeeklySummary(ctx, postgres.SummaryScope{Unit: u}, month, monthBefore, []postgres.WeekSpan{monthBefore, month}, "Asia/Shanghai")
			if err != nil {
				t.Fatal(err)
			}
			out["month "+u.Code] = m
		}
		for _, v := range []gridwarn.Visibility{{All: true}, {CountyCode: testutil.County}, {CountyCode: testutil.County, TownCode: testutil.TownA}} {
			b, err := db.Dashboard(ctx, v, now)
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("dashboard %+v", v)] = b.Trend
		}
		return out
	}
	fromRollup := build()
	if s := fromRollup["week "+testutil.County].(*gridwarn.WeeklySummary); s.Headline.Events == 0 || len(s.Riskiest) == 0 {
		t.Fatalf("the county's week has no events: %+v", s.Headline)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE rollup_zone SET name = 'UTC'`); err != nil {
		t.Fatal(err)
	}
	fromEvents := build()
	if diff := cmp.Diff(fromEvents, fromRollup); diff != "" {
		t.Errorf("read from the rollup differs from the events scanned (-events +rollup):\n%s", diff)
	}

	// A rebuild gives what the engine wrote; in another zone, that zone's days.
	if n, err := db.RebuildRollup(ctx, shanghai); err != nil || n != int64(len(pool)) {
		t.Fatalf("rebuild: %d events, %v", n, err)
	}
	rebuilt, rebuiltEnts := rollupOf(t, db)
	if diff := cmp.Diff(days, rebuilt); diff != "" {
		t.Errorf("rebuilt event_days differ from the engine's (-engine +rebuilt):\n%s", diff)
	}
	if diff := cmp.Diff(entDays, rebuiltEnts); diff != "" {
		t.Errorf("rebuilt enterprise_days differ from the engine's (-engine +rebuilt):\n%s", diff)
	}
	// A rebuild writes the rows in the order of their keys, so that a
	// summary's days are adjacent pages (migration 00041).
	for table, key := range map[string]string{"event_days": "county_code, day, town_code, category, level",
		"enterprise_days": "county_code, day, town_code, enterprise"} {
		var disordered int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM (SELECT row(`+key+`) < lag(row(`+key+`)) OVER (ORDER BY ctid) AS back FROM `+
			table+`) r WHERE back`).Scan(&disordered); err != nil {
			t.Fatal(err)
		}
		if disordered != 0 {
			t.Errorf("a rebuilt %s holds %d rows stored before a row of a lower key", table, disordered)
		}
	}
	if _, err := db.RebuildRollup(ctx, time.UTC); err != nil {
		t.Fatal(err)
	}
	if z, err := db.RollupZone(ctx); err != nil || z != "UTC" {
		t.Errorf("zone after a rebuild in UTC = %q, %v", z, err)
	}
	utcDays, _ := rollupOf(t, db)
	wantUTC, _ := rollupFromEvents(t, db, "UTC")
	if diff := cmp.Diff(wantUTC, utcDays); diff != "" {
		t.Errorf("event_days in UTC (-want +got):\n%s", diff)
	}
	// The service configured for Shanghai brings it back (at migrate).
	if rebuiltNow, err := db.EnsureRollupZone(ctx); err != nil || !rebuiltNow {
		t.Errorf("EnsureRollupZone = %v, %v; want a rebuild", rebuiltNow, err)
	}
	if again, _ := rollupOf(t, db); cmp.Diff(days, again) != "" {
		t.Error("the rollup rebuilt for Shanghai differs from the engine's")
	}
}
