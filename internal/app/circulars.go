package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
)

// Circulars builds and stores the unionization drive's monthly circulars
// and quarterly summaries.
type Circulars struct {
	DB     *postgres.DB
	Loc    *time.Location
	Log    *slog.Logger
	Target float64 // the share of the year's list to unionize within the year
}

// Build builds a period's circular (a month, or a quarter) for one unit (unit != "") or for every
// county and town. A scheduled build (rebuild false) stores each (unit,
// month) once, whatever the number of replicas; a rebuild adds a revision.
func (c *Circulars) Build(ctx context.Context, period gridwarn.Period, unit, by string, rebuild bool) ([]*gridwarn.UnionCircular, error) {
	all := gridwarn.Visibility{All: true}
	var units []gridwarn.Unit
	if unit != "" {
		u, err := c.DB.Unit(ctx, all, unit)
		if err != nil {
			return nil, err
		}
		units = []gridwarn.Unit{*u}
	} else {
		var err error
		if units, err = c.DB.Units(ctx, all); err != nil {
			return nil, err
		}
	}
	var out []*gridwarn.UnionCircular
	for _, u := range units {
		circ, err := c.DB.BuildUnionCircular(ctx, u, period, c.Target)
		if err != nil {
			return out, fmt.Errorf("union circular %s %s: %w", u.Code, period.Key, err)
		}
		stored, err := c.DB.SaveUnionCircular(ctx, circ, by, rebuild)
		if err != nil {
			return out, err
		}
		if stored {
			c.Log.Info("union circular built", "unit", u.Code, "period", period.Key, "revision", circ.Revision)
			out = append(out, circ)
		}
	}
	return out, nil
}

// Scheduled builds the previous month's circulars (the cron job on the
// 1st) and, after a quarter's last month, the quarter's summary, and the
// months missed since the last stored one, oldest first (a
// month's list at its end is read back from the history of union status,
// so a late build says what an on-time one would have).
func (c *Circulars) Scheduled(ctx context.Context, now time.Time) error {
	this := gridwarn.PeriodOf(gridwarn.PeriodMonth, now, c.Loc)
	last := gridwarn.PeriodOf(gridwarn.PeriodMonth, this.From.AddDate(0, 0, -1), time.UTC)
	first := last
	if latest, err := c.DB.LatestCircularMonth(ctx); err != nil {
		return err
	} else if p, err := gridwarn.ParsePeriod(latest); err == nil && p.From.Before(last.From) {
		first, _ = gridwarn.ParsePeriod(p.To.Format("2006-01"))
	}
	if first.From.Before(last.From.AddDate(0, -(maxCatchUp - 1), 0)) {
		first, _ = gridwarn.ParsePeriod(last.From.AddDate(0, -(maxCatchUp - 1), 0).Format("2006-01"))
	}
	var errs []error
	for m := first; !m.From.After(last.From); m, _ = gridwarn.ParsePeriod(m.To.Format("2006-01")) {
		if _, err := c.Build(ctx, m, "", "schedule", false); err != nil {
			errs = append(errs, err)
		}
		// A quarter's last month is followed by the quarter's summary
		// (一季度一总结).
		if m.To.Month()%3 == 1 {
			q := gridwarn.PeriodOf(gridwarn.PeriodQuarter, m.From, time.UTC)
			if _, err := c.Build(ctx, q, "", "schedule", false); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
