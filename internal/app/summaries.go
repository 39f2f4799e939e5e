package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// trendWeeks is how many weeks the trend chart shows.
const trendWeeks = 8

// Summaries builds and stores weekly summaries.
type Summaries struct {
	DB  *postgres.DB
	Loc *time.Location
	Log *slog.Logger
	// Now is the clock that says whether a week has ended (default
	// time.Now).
	Now func() time.Time
}

// Build builds a week's summary for one unit (unit != "") or for every
// county and town. A scheduled build (rebuild false) stores each (unit,
// week) once, whatever the number of replicas; a rebuild adds a revision.
//
// A week that has not ended is refused: its summary would be stored, listed
// first and counted as final while the week still runs.
func (s *Summaries) Build(ctx context.Context, week gridwarn.Week, unit, by string, rebuild bool) ([]*gridwarn.WeeklySummary, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if _, end := isoweek.Bounds(week, s.Loc); now().Before(end) {
		return nil, gridwarn.Errorf(gridwarn.EINVALID, "week %s has not ended yet (it ends %s); a weekly summary is built once its week is over",
			isoweek.Format(week), end.In(s.Loc).Format("Monday 2006-01-02 15:04 MST"))
	}
	units, err := unitsToBuild(ctx, s.DB, unit)
	if err != nil {
		return nil, err
	}
	span := func(w gridwarn.Week) postgres.WeekSpan {
		from, to := isoweek.Bounds(w, s.Loc)
		return postgres.WeekSpan{Week: w, ISO: isoweek.Format(w), From: from, To: to}
	}
	var trend []postgres.WeekSpan
	for _, w := range isoweek.Last(week, trendWeeks) {
		trend = append(trend, span(w))
	}
	var out []*gridwarn.WeeklySummary
	for _, u := range units {
		sum, err := s.DB.BuildWeeklySummary(ctx, postgres.SummaryScope{Unit: u}, span(week), span(isoweek.Previous(week)), trend, s.Loc.String())
		if err != nil {
			return out, fmt.Errorf("summary %s %s: %w", u.Code, isoweek.Format(week), err)
		}
		sum.BuiltAt = time.Now()
		stored, err := s.DB.SaveWeeklySummary(ctx, sum, by, rebuild)
		if err != nil {
			return out, err
		}
		if stored {
			s.Log.Info("weekly summary built", "unit", u.Code, "week", sum.ISO, "revision", sum.Revision)
			out = append(out, sum)
		}
	}
	return out, nil
}

// unitsToBuild are the unit of that code, or every county and town when
// unit is "".
func unitsToBuild(ctx context.Context, db *postgres.DB, unit string) ([]gridwarn.Unit, error) {
	all := gridwarn.Visibility{All: true}
	if unit == "" {
		return db.Units(ctx, all)
	}
	u, err := db.Unit(ctx, all, unit)
	if err != nil {
		return nil, err
	}
	return []gridwarn.Unit{*u}, nil
}

// maxCatchUp bounds how many missed weeks a start builds.
const maxCatchUp = 12

// Scheduled builds the previous week's summaries (the cron job), and the
// weeks missed since the last stored one, oldest first.
func (s *Summaries) Scheduled(ctx context.Context, now time.Time) error {
	last := isoweek.Previous(isoweek.Of(now, s.Loc))
	first := last
	if latest, err := s.DB.LatestSummaryWeek(ctx); err != nil {
		return err
	} else if latest != "" {
		if w, err := isoweek.Parse(latest); err == nil {
			first = isoweek.Next(w)
		}
	}
	weeks := isoweek.Between(first, last)
	if len(weeks) > maxCatchUp {
		weeks = weeks[len(weeks)-maxCatchUp:]
	}
	var errs []error
	for _, w := range weeks {
		if _, err := s.Build(ctx, w, "", "schedule", false); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
