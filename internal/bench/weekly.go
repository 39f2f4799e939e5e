package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/demo"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// seedEvents stores n events with COPY, attached to the tickets seedTickets
// stored: a tenth of them occur in week, the rest over the tickets' time
// span outside it. Each event belongs to the ticket opened nearest its
// occurred_at, with that ticket's enterprise and category.
func seedEvents(ctx context.Context, db *postgres.DB, n int, week gridwarn.Week, loc *time.Location) error {
	pool := db.Pool()
	var (
		minID, maxID int64
		oldest, last time.Time
	)
	if err := pool.QueryRow(ctx, "SELECT min(id), max(id), min(opened_at), max(opened_at) FROM tickets").
		Scan(&minID, &maxID, &oldest, &last); err != nil {
		return err
	}
	first := oldest
	tickets := int(maxID - minID + 1)
	from, to := isoweek.Bounds(week, loc)
	if !first.Before(from) {
		first = from.Add(-365 * 24 * time.Hour)
	}
	end := time.Now()
	if end.Before(to) {
		end = to
	}
	outside := end.Sub(first) - to.Sub(from) // the span outside the week
	ents := demo.County(0).Enterprises
	levels := []gridwarn.Level{gridwarn.LevelBlue, gridwarn.LevelYellow, gridwarn.LevelOrange, gridwarn.LevelRed}
	rng := rand.New(rand.NewPCG(3, 4))
	inWeek := n / 10
	cols := []string{"id", "ticket_id", "enterprise", "category", "occurred_at", "reported_at", "workers_involved",
		"collective", "summary", "reporter_kind", "reporter_id", "level", "decision", "subject", "stream_seq", "received_at"}
	k := 0
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"events"}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if k >= n {
			return nil, nil
		}
		var at time.Time
		if k%10 == 0 && k/10 < inWeek { // every tenth event, spread over the week
			at = from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
		} else {
			at = first.Add(time.Duration(rng.Int64N(int64(outside))))
			if !at.Before(from) {
				at = at.Add(to.Sub(from))
			}
		}
		// The ticket opened nearest at (tickets are evenly spread, oldest first).
		i := 0
		if span := last.Sub(oldest); span > 0 {
			i = max(0, min(int(float64(at.Sub(oldest))/float64(span)*float64(tickets-1)), tickets-1))
		}
		e, cat := seedTicketOf(ents, i)
		var lv gridwarn.Level
		switch x := rng.IntN(100); {
		case x < 50:
			lv = levels[0]
		case x < 80:
			lv = levels[1]
		case x < 95:
			lv = levels[2]
		default:
			lv = levels[3]
		}
		score := 20 + rng.IntN(80)
		row := []any{"sum-" + strconv.Itoa(k), minID + int64(i), e.CreditCode, string(cat), at, at.Add(30 * time.Minute), int32(1 + rng.IntN(40)),
			rng.IntN(4) == 0, "职工反映企业拖欠工资", "grid_worker", "gw-seed", string(lv), fmt.Sprintf(`{"score": %d}`, score),
			"gridwarn.events." + demo.CountyCode, int64(10_000_000 + k), at.Add(31 * time.Minute)}
		k++
		return row, nil
	}))
	if err != nil {
		return fmt.Errorf("copy events: %w", err)
	}
	// The engine keeps the daily rollup as it stores events; events copied
	// in directly are counted by a rebuild (untimed, as the engine's share
	// is paid in row 2).
	if _, err := db.RebuildRollup(ctx, loc); err != nil {
		return err
	}
	_, err = pool.Exec(ctx, "VACUUM ANALYZE")
	return err
}

// summaryGroup measures building one week's summary for the county with
// SummaryEvents events stored against counting the week's events with one
// query, on the same database in the same repetition (6).
func (r *runner) summaryGroup(ctx context.Context, tpl templates) (groupResult, error) {
	var res groupResult
	row := Row{Key: "6", Figure: Figure{Unit: "ms"}, Raw: Figure{Unit: "ms"}}
	week, err := isoweek.Parse(tpl.SummaryWeek)
	if err != nil {
		return res, err
	}
	loc, err := isoweek.Location(r.o.Config.Scheduler.TimeZone)
	if err != nil {
		return res, err
	}
	from, to := isoweek.Bounds(week, loc)
	var inWeek, events int64
	for rep := range r.o.Reps {
		name, dbURL, err := r.fresh(ctx, "summary", tpl.Summary)
		if err != nil {
			return res, err
		}
		build, count, n, total, err := r.runSummary(ctx, dbURL, week, from, to)
		if err != nil {
			return res, err
		}
		if err := r.pg.drop(ctx, name); err != nil {
			return res, err
		}
		inWeek, events = n, total
		row.Figure.Values = append(row.Figure.Values, ms(build))
		row.Raw.Values = append(row.Raw.Values, ms(count))
		r.progress("summary rep %d/%d: build %.1f ms; count(*) of the week's %d events %.1f ms", rep+1, r.o.Reps, ms(build), n, ms(count))
	}
	row.Ratio = ratios(row.Figure, row.Raw)
	row.RSSKiB = vmHWM()
	res.Rows = append(res.Rows, row)
	res.Notes = append(res.Notes, fmt.Sprintf("6: %s events are COPYed once into a copy of the reads template (%s tickets; with the reads' detail events %s stored), %s of them occurring in %s (%s – %s, %s), the rest spread over the tickets' three years, each attached to the ticket opened nearest it; then the backlog job takes its snapshots of the last 15 midnights (scheduler.backlog, once a day in production), which the summary reads for its weeks' ends. Each repetition copies the template, builds and counts once untimed (warm cache), then times one count and one Summaries.Build(week, county %s, rebuild) — 9 headline counts for the week and the week before, the same per town (%d towns), event counts, clocks, durations, backlog, riskiest and red tickets, an 8-week trend, and the INSERT of the revision.",
		num(float64(r.o.SummaryEvents)), num(float64(r.o.Tickets)), num(float64(events)), num(float64(inWeek)), tpl.SummaryWeek,
		from.Format("2006-01-02"), to.Format("2006-01-02"), loc, demo.CountyCode, len(demo.County(0).Towns)))
	return res, nil
}

func (r *runner) runSummary(ctx context.Context, dbURL string, week gridwarn.Week, from, to time.Time) (build, count time.Duration, inWeek, total int64, err error) {
	db, err := postgres.Open(ctx, postgres.Options{URL: dbURL, MaxConns: 4, IndependentThreshold: r.o.Config.Registry.IndependentThreshold})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer db.Close()
	loc, err := isoweek.Location(r.o.Config.Scheduler.TimeZone)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	s := &app.Summaries{DB: db, Loc: loc, Log: r.log}
	const q = "SELECT count(*) FROM events WHERE occurred_at >= $1 AND occurred_at < $2"
	countOnce := func() (time.Duration, error) {
		start := time.Now()
		err := db.Pool().QueryRow(ctx, q, from, to).Scan(&inWeek)
		return time.Since(start), err
	}
	buildOnce := func() (time.Duration, error) {
		start := time.Now()
		out, err := s.Build(ctx, week, demo.CountyCode, "bench", true)
		d := time.Since(start)
		if err == nil && (len(out) != 1 || out[0].Headline.Events == 0) {
			err = errors.New("the summary has no events")
		}
		return d, err
	}
	// Warm up both, untimed.
	if _, err = countOnce(); err != nil {
		return
	}
	if _, err = buildOnce(); err != nil {
		return
	}
	if count, err = countOnce(); err != nil {
		return
	}
	if build, err = buildOnce(); err != nil {
		return
	}
	err = db.Pool().QueryRow(ctx, "SELECT count(*) FROM events").Scan(&total)
	return
}
