package app

import (
	"context"
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
	units, err := unitsToBuild(ctx, c.DB, unit)
	if err != nil {
		return nil, err
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
	latest, err := c.DB.LatestCircularMonth(ctx)
	if err != nil {
		return err
	}
	return eachPeriod(latest, now, c.Loc, func(p gridwarn.Period) error {
		_, err := c.Build(ctx, p, "", "schedule", false)
		return err
	})
}

// Since builds, as Scheduled does, every month from first — and the
// quarters that end in them — up to the one before now's, after the
// latest stored: a county whose union lists of past months were loaded
// (the demo's first start) gets their circulars through the builder the
// cron uses, each (unit, period) once.
func (c *Circulars) Since(ctx context.Context, now time.Time, first gridwarn.Period) error {
	latest, err := c.DB.LatestCircularMonth(ctx)
	if err != nil {
		return err
	}
	if before := shift(first, -1).Key; latest < before {
		latest = before
	}
	return eachPeriod(latest, now, c.Loc, func(p gridwarn.Period) error {
		_, err := c.Build(ctx, p, "", "schedule", false)
		return err
	})
}
