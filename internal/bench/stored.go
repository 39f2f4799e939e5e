package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/rules"
)

// storedSpan is how far back the stored events of 2c reach, before the
// rules' history window.
const storedSpan = 24 // months

// seedStored stores n events of the demo county's enterprises on closed
// tickets (one per 20 events), with their inbox rows, spread evenly over
// the storedSpan months that end the day before the rules' history window
// begins, each month in its own partition — all server-side
// (INSERT … SELECT over generate_series). The history window holds none of
// them, so the engine's history reads return what they return on an empty
// database and 2c measures what the stored volume itself costs: deeper
// indexes on events and the inbox, more partitions, a bigger tickets table.
func seedStored(ctx context.Context, db *postgres.DB, n int) error {
	pool := db.Pool()
	r := rules.Default()
	now := time.Now().UTC()
	end := now.AddDate(0, 0, -r.HistoryDays()-1)
	from := end.AddDate(0, -storedSpan, 0)
	ents := demo.County(0).Enterprises
	ev := gridwarn.Event{ID: "seed", Enterprise: ents[0].CreditCode, Category: gridwarn.CategoryWageArrears, OccurredAt: end,
		WorkersInvolved: ptr(12), MonthsInArrears: ptr(1.5), Collective: ptr(true), Summary: "12名职工反映企业拖欠工资约1.5个月"}
	dec, err := json.Marshal(r.Decide(gridwarn.DecisionInput{Event: ev, Enterprise: ents[0], Now: end}))
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `
SELECT gridwarn_ensure_month_partition(p, d::date)
FROM generate_series(date_trunc('month', $1::timestamptz), $2::timestamptz, interval '1 month') AS d,
     unnest(ARRAY['events', 'ticket_history']) AS p`, from, end); err != nil {
		return fmt.Errorf("partitions: %w", err)
	}
	tickets := max(1, n/20)
	cats := make([]string, len(gridwarn.Categories))
	for i, c := range gridwarn.Categories {
		cats[i] = string(c)
	}
	// Ticket i: enterprise i mod E, category (i / E) mod C, opened at its
	// share of the span, closed three days later.
	if _, err := pool.Exec(ctx, `
WITH e AS (SELECT credit_code, town_code, grid_code, row_number() OVER (ORDER BY credit_code) - 1 AS k FROM enterprises),
     ne AS (SELECT count(*) AS n FROM e),
     s AS (SELECT i, $1::timestamptz + ($2::timestamptz - $1::timestamptz) * (i::float8 / $3) AS at FROM generate_series(0, $3 - 1) AS i)
INSERT INTO tickets (enterprise, category, level, tier, status, event_count, first_event_at, last_event_at, opened_at, updated_at,
    closed_at, rules_version, version, county_code, town_code, grid_code)
SELECT e.credit_code, ($4::text[])[1 + (s.i / ne.n) % cardinality($4::text[])],
       (ARRAY['blue', 'blue', 'yellow', 'orange'])[1 + s.i % 4], 'town', 'closed', 20, s.at, s.at + interval '2 days',
       s.at, s.at + interval '3 days', s.at + interval '3 days', $5, 3, substr(e.credit_code, 3, 6), e.town_code, e.grid_code
FROM s CROSS JOIN ne JOIN e ON e.k = s.i % ne.n
ORDER BY s.i`, from, end, tickets, cats, r.Version()); err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	// Event j lies on ticket j * T / n, in its ticket's two days.
	if _, err := pool.Exec(ctx, `
WITH t AS (SELECT id, enterprise, category, level, opened_at, row_number() OVER (ORDER BY id) - 1 AS k FROM tickets WHERE status = 'closed'
           AND opened_at >= $1 AND opened_at < $2)
INSERT INTO events (id, ticket_id, enterprise, category, occurred_at, reported_at, workers_involved, months_in_arrears, collective,
    summary, reporter_kind, reporter_id, level, decision, subject, stream_seq, received_at)
SELECT 'stored-' || j, t.id, t.enterprise, t.category, at - interval '30 minutes', at - interval '20 minutes', 1 + j % 40, 1.5,
       j % 4 = 0, '职工反映企业拖欠工资', 'grid_worker', 'gw-stored', t.level, $5::jsonb, 'gridwarn.events.' || substr(t.enterprise, 3, 6),
       j + 1, at
FROM generate_series(0, $3 - 1) AS j
JOIN t ON t.k = (j::bigint * $4) / $3
CROSS JOIN LATERAL (SELECT t.opened_at + interval '2 days' * ((j::bigint * $4) % $3)::float8 / $3 AS at) a`,
		from, end, n, tickets, dec); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO inbox (event_id, stream_seq, received_at) SELECT id, stream_seq, received_at FROM events`); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	var got int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&got); err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("stored %d events, want %d", got, n)
	}
	_, err = pool.Exec(ctx, "VACUUM ANALYZE")
	return err
}

// engineStoredGroup measures the engine as 2a does on a database that
// already holds StoredEvents events against an empty one, alternating in
// each repetition on the same pre-published events (2c).
func (r *runner) engineStoredGroup(ctx context.Context, tpl templates) (groupResult, error) {
	var res groupResult
	if r.o.StoredEvents < 1 {
		return res, fmt.Errorf("--stored-events must be positive for group %s", GroupEngineStored)
	}
	ents := demo.County(0).SimulatorEnterprises()
	stored := Row{Key: "2c", Figure: Figure{Unit: "events/s"}, Raw: Figure{Unit: "events/s"}}
	run := func(rep int, template string, base int64, what string) (float64, error) {
		name, dbURL, err := r.fresh(ctx, "stored", template)
		if err != nil {
			return 0, err
		}
		b, err := r.startBroker(ctx)
		if err != nil {
			return 0, err
		}
		if err := b.prePublish(ctx, newEventSource(ents, uint64(100+rep)), r.o.Events); err != nil {
			b.close()
			return 0, err
		}
		er, err := r.runEngine(ctx, b, dbURL, r.o.Events, base)
		b.close()
		if err != nil {
			return 0, fmt.Errorf("engine, %s: %w", what, err)
		}
		if err := r.pg.drop(ctx, name); err != nil {
			return 0, err
		}
		rate := float64(r.o.Events) / er.elapsed.Seconds()
		r.progress("2c rep %d/%d: engine, %s: %d events in %s (%s events/s, %d tickets opened)", rep+1, r.o.Reps, what,
			r.o.Events, er.elapsed.Round(time.Millisecond), num(rate), er.opened)
		return rate, nil
	}
	for rep := range r.o.Reps {
		var full, empty float64
		var err error
		if rep%2 == 0 {
			if empty, err = run(rep, tpl.Demo, 0, "empty database"); err == nil {
				full, err = run(rep, tpl.Stored, int64(r.o.StoredEvents), fmt.Sprintf("%s events stored", num(float64(r.o.StoredEvents))))
			}
		} else {
			if full, err = run(rep, tpl.Stored, int64(r.o.StoredEvents), fmt.Sprintf("%s events stored", num(float64(r.o.StoredEvents)))); err == nil {
				empty, err = run(rep, tpl.Demo, 0, "empty database")
			}
		}
		if err != nil {
			return res, err
		}
		stored.Figure.Values = append(stored.Figure.Values, full)
		stored.Raw.Values = append(stored.Raw.Values, empty)
	}
	stored.Ratio = ratios(stored.Figure, stored.Raw)
	stored.RSSKiB = vmHWM()
	res.Rows = append(res.Rows, stored)
	res.Notes = append(res.Notes, fmt.Sprintf("2c: the stored database is the demo county with %s events filled server-side (INSERT … SELECT over generate_series, set-up, untimed) on %s closed tickets, with their inbox rows, spread evenly over the %d months that end the day before the rules' %d-day history window (one partition per month), so the engine's history reads find none of them and the row measures the stored volume itself: deeper indexes, more partitions, a bigger inbox and tickets table (the daily rollup is not rebuilt for them). Each repetition runs the engine on a fresh copy of it and on a fresh empty demo database, the order alternating, on the same pre-published events.",
		num(float64(r.o.StoredEvents)), num(float64(max(1, r.o.StoredEvents/20))), storedSpan, rules.Default().HistoryDays()))
	return res, nil
}
