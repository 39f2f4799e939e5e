package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// PeriodReports builds and stores the monthly pushes and quarterly
// analyses: the weekly summary's builder over a month or a quarter, three
// times (the period, the one before, the same period a year before), with
// the visits' coverage and the unionization circular of the period.
type PeriodReports struct {
	DB      *postgres.DB
	Loc     *time.Location
	Log     *slog.Logger
	Targets func(gridwarn.PeriodKind) gridwarn.CoverageTarget
}

// periodTrend is how many periods a report's trend shows.
const periodTrend = 8

// shift is the period n periods of p's kind after p (before, for n < 0).
func shift(p gridwarn.Period, n int) gridwarn.Period {
	months := n
	switch p.Kind {
	case gridwarn.PeriodQuarter:
		months = 3 * n
	case gridwarn.PeriodYear:
		months = 12 * n
	}
	return gridwarn.PeriodOf(p.Kind, p.From.AddDate(0, months, 0), time.UTC)
}

func (r *PeriodReports) span(p gridwarn.Period) postgres.WeekSpan {
	at := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, r.Loc) }
	return postgres.WeekSpan{ISO: p.Key, From: at(p.From), To: at(p.To)}
}

// Build builds a period's report for one unit (unit != "") or for every
// county and town; stored like the weekly summaries (a scheduled build
// once per unit and period, a rebuild as a new revision).
func (r *PeriodReports) Build(ctx context.Context, p gridwarn.Period, unit, by string, rebuild bool) ([]*gridwarn.PeriodReport, error) {
	units, err := unitsToBuild(ctx, r.DB, unit)
	if err != nil {
		return nil, err
	}
	var trend []postgres.WeekSpan
	for i := periodTrend - 1; i >= 0; i-- {
		trend = append(trend, r.span(shift(p, -i)))
	}
	prev, yearAgo := shift(p, -1), gridwarn.PeriodOf(p.Kind, p.From.AddDate(-1, 0, 0), time.UTC)
	var out []*gridwarn.PeriodReport
	for _, u := range units {
		rep, err := r.build(ctx, u, p, prev, yearAgo, trend)
		if err != nil {
			return out, fmt.Errorf("report %s %s: %w", u.Code, p.Key, err)
		}
		stored, err := r.DB.SavePeriodReport(ctx, rep, by, rebuild)
		if err != nil {
			return out, err
		}
		if stored {
			r.Log.Info("period report built", "unit", u.Code, "period", p.Key, "revision", rep.Revision)
			out = append(out, rep)
		}
	}
	return out, nil
}

func (r *PeriodReports) build(ctx context.Context, u gridwarn.Unit, p, prev, yearAgo gridwarn.Period, trend []postgres.WeekSpan) (*gridwarn.PeriodReport, error) {
	scope, tz := postgres.SummaryScope{Unit: u}, r.Loc.String()
	sum, err := r.DB.BuildWeeklySummary(ctx, scope, r.span(p), r.span(prev), trend, tz)
	if err != nil {
		return nil, err
	}
	before, err := r.DB.BuildWeeklySummary(ctx, scope, r.span(prev), r.span(shift(prev, -1)), []postgres.WeekSpan{r.span(prev)}, tz)
	if err != nil {
		return nil, err
	}
	year, err := r.DB.BuildWeeklySummary(ctx, scope, r.span(yearAgo), r.span(shift(yearAgo, -1)), []postgres.WeekSpan{r.span(yearAgo)}, tz)
	if err != nil {
		return nil, err
	}
	rep := &gridwarn.PeriodReport{Kind: p.Kind, Period: p.Key, UnitCode: u.Code, UnitName: u.NameZH, Summary: sum,
		YearAgo: year.Headline, RisingCategories: []gridwarn.Change{}, RisingTowns: []gridwarn.Change{}, StayedRed: []gridwarn.StayedRed{}}
	for cat, n := range sum.ByCat {
		if b := before.ByCat[cat]; n > b {
			rep.RisingCategories = append(rep.RisingCategories, gridwarn.Change{Key: string(cat), Now: n, Before: b})
		}
	}
	was := map[string]int{}
	for _, t := range before.Towns {
		was[t.TownCode] = t.Headline.Events
	}
	for _, t := range sum.Towns {
		if n := t.Headline.Events; n > was[t.TownCode] {
			rep.RisingTowns = append(rep.RisingTowns, gridwarn.Change{Key: t.TownCode, Name: t.TownName, Now: n, Before: was[t.TownCode]})
		}
	}
	for _, l := range [][]gridwarn.Change{rep.RisingCategories, rep.RisingTowns} {
		slices.SortFunc(l, func(a, b gridwarn.Change) int {
			return cmp.Or(cmp.Compare(b.Now-b.Before, a.Now-a.Before), cmp.Compare(a.Key, b.Key))
		})
	}
	rep.StayedRed = gridwarn.StayedRedOf(before.Red, sum.Red)
	cov, err := r.DB.Coverage(ctx, gridwarn.Visibility{All: true}, u.Code, p, r.Targets(p.Kind))
	if err != nil {
		return nil, err
	}
	rep.Coverage = cov.Coverage
	if c, err := r.DB.UnionCircular(ctx, gridwarn.Visibility{All: true}, u.Code, p.Key); err == nil {
		rep.Unionization = &c.Totals
	} else if gridwarn.ErrorCode(err) != gridwarn.ENOTFOUND {
		return nil, err
	}
	return rep, nil
}

// Scheduled builds the previous month's report (the monthly push, on the
// 1st after the circulars) and, after a quarter's last month, the
// quarter's analysis; and the months missed since the last stored one.
func (r *PeriodReports) Scheduled(ctx context.Context, now time.Time) error {
	latest, err := r.DB.LatestReportMonth(ctx)
	if err != nil {
		return err
	}
	return eachPeriod(latest, now, r.Loc, func(p gridwarn.Period) error {
		_, err := r.Build(ctx, p, "", "schedule", false)
		return err
	})
}

// eachPeriod calls build for every month of monthsToBuild and, after a
// quarter's last month, for the quarter — and at least for the last ended
// quarter, as monthsToBuild holds at least the month before now's: a first
// start in a quarter's second or third month finds its analysis missing
// (build stores a period once, so calling it again changes nothing). It
// returns every error.
func eachPeriod(latest string, now time.Time, loc *time.Location, build func(gridwarn.Period) error) error {
	var errs []error
	lastQuarter := shift(gridwarn.PeriodOf(gridwarn.PeriodQuarter, now, loc), -1)
	built := false
	for _, m := range monthsToBuild(latest, now, loc) {
		errs = append(errs, build(m))
		if m.To.Month()%3 == 1 {
			q := gridwarn.PeriodOf(gridwarn.PeriodQuarter, m.From, time.UTC)
			errs = append(errs, build(q))
			built = built || q.Key == lastQuarter.Key
		}
	}
	if !built {
		errs = append(errs, build(lastQuarter))
	}
	return errors.Join(errs...)
}

// monthsToBuild are the months after latest (a stored month, "" for none)
// up to the one before now's, at most maxCatchUp, oldest first; at least
// the one before now's.
func monthsToBuild(latest string, now time.Time, loc *time.Location) []gridwarn.Period {
	this := gridwarn.PeriodOf(gridwarn.PeriodMonth, now, loc)
	last := shift(this, -1)
	first := last
	if p, err := gridwarn.ParsePeriod(latest); err == nil && p.From.Before(last.From) {
		first = shift(p, 1)
	}
	if oldest := shift(last, -(maxCatchUp - 1)); first.From.Before(oldest.From) {
		first = oldest
	}
	var out []gridwarn.Period
	for m := first; !m.From.After(last.From); m = shift(m, 1) {
		out = append(out, m)
	}
	return out
}
