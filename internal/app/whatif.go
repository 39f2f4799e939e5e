package app

import (
	"context"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/rules"
)

// whatIf gives the console's rules page what `gridwarn rules diff` reads:
// the rules in force and the stored events of a period (web.RulesWhatIf).
type whatIf struct{ a *App }

// RulesInForce are the rules the engine decides with now.
func (w whatIf) RulesInForce() *rules.Rules { return w.a.rules.cur.Load() }

// ReplayEvents streams the events received since a moment about the
// enterprises v sees, oldest first, with their enterprises. An enterprise
// is either wholly in v or not at all, so each one's history stays whole.
func (w whatIf) ReplayEvents(ctx context.Context, v gridwarn.Visibility, since time.Time,
	yield func(gridwarn.Event, gridwarn.Enterprise) error) error {
	if v.ReporterID != "" {
		return gridwarn.Errorf(gridwarn.EFORBIDDEN, "the what-if replays whole enterprises")
	}
	return w.a.db.EventsSince(ctx, since, func(r postgres.ReplayEvent) error {
		e := r.Enterprise
		if !v.Sees(gridwarn.CountyOf(e.TownCode), e.TownCode, e.GridCode) {
			return nil
		}
		return yield(r.Event, e)
	})
}
