package demo

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/isoweek"
)

// Clock is the demo's clock: real time, or real time moved to a moment in
// the past while the demo replays its history. The app reads it
// (app.App.Now) for everything it stamps — tickets, steps, clocks, sweeps
// — so the history's tickets are opened, worked and closed in the weeks
// their events claim.
type Clock struct{ off atomic.Int64 }

// Now is the clock's time.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// Set moves the clock to t (it runs on from there).
func (c *Clock) Set(t time.Time) { c.off.Store(int64(time.Until(t))) }

// Reset puts the clock back on real time.
func (c *Clock) Reset() { c.off.Store(0) }

// History replays a few weeks of a county's life into a fresh demo, in
// time order on the demo's Clock: events are published as they happen
// (each waited for until stored, so that the engine opens its ticket at
// that moment), the simulated mediators work the tickets over the
// following days, the sweeper runs on the same clock (so missed time
// limits escalate when they would have), and each past week's summaries
// are built once its events are stored and its week has ended. The
// current week is replayed up to now: the leader sees the week so far.
type History struct {
	Weeks   int // how many weeks before the current one (0: only the current week so far)
	PerWeek int // events in a week (about; default 50)
	Loc     *time.Location
	Clock   *Clock
	Rand    *rand.Rand
	Logger  *slog.Logger
	// Enterprises are the simulator's enterprises.
	Enterprises []Enterprise
	// Publish publishes one event; Stored says whether the engine has
	// stored it.
	Publish func(ctx context.Context, e gridwarn.Event) error
	Stored  func(ctx context.Context, id string) (bool, error)
	// Mediators work the tickets (their Rand and Logger are used as they
	// are); Sweep sweeps at the clock's time; BuildWeek builds a week's
	// summaries.
	Mediators *Mediators
	Sweep     func(ctx context.Context) error
	BuildWeek func(ctx context.Context, w gridwarn.Week) error
}

// step is one thing that happens at a moment of the history.
type step struct {
	at    time.Time
	event *gridwarn.Event // publish it; nil: mediators' steps
	// county, towns: which mediators take a step.
	county, towns bool
}

// Run replays the history. It leaves the clock on real time.
func (h *History) Run(ctx context.Context) (events int, err error) {
	defer h.Clock.Reset()
	now := time.Now()
	perWeek := h.PerWeek
	if perWeek <= 0 {
		perWeek = 50
	}
	current := isoweek.Of(now, h.Loc)
	first := current
	for range h.Weeks {
		first = isoweek.Previous(first)
	}
	start, _ := isoweek.Bounds(first, h.Loc)
	sim := &Simulator{Enterprises: h.Enterprises, Rand: h.Rand}
	var steps []step
	for w := first; ; w = isoweek.Next(w) {
		from, to := isoweek.Bounds(w, h.Loc)
		if now.Before(to) {
			to = now
		}
		n := perWeek/2 + h.Rand.IntN(perWeek+1)
		if w == current {
			n = max(1, int(float64(n)*float64(to.Sub(from))/float64(7*24*time.Hour)))
		}
		for range n {
			at := from.Add(time.Duration(h.Rand.Int64N(int64(to.Sub(from)))))
			// Most reports come in by day.
			if hr := at.In(h.Loc).Hour(); (hr < 8 || hr >= 20) && h.Rand.IntN(100) < 85 {
				day := time.Date(at.In(h.Loc).Year(), at.In(h.Loc).Month(), at.In(h.Loc).Day(), 8, 0, 0, 0, h.Loc)
				if hr >= 20 {
					day = day.AddDate(0, 0, 1)
				}
				if moved := day.Add(time.Duration(h.Rand.Int64N(int64(12 * time.Hour)))); moved.Before(to) && !moved.Before(from) {
					at = moved
				}
			}
			sim.Now = func() time.Time { return at }
			e := sim.Event()
			e.ID = fmt.Sprintf("hist-%s-%s", isoweek.Format(w), e.ID[len("sim-"):])
			// It happened in the week it is reported in.
			if e.OccurredAt.Before(from) {
				e.OccurredAt = from.Add(time.Duration(h.Rand.Int64N(int64(at.Sub(from)) + 1))).Truncate(time.Second).In(e.OccurredAt.Location())
			}
			steps = append(steps, step{at: at, event: &e})
		}
		if w == current {
			break
		}
	}
	// The mediators work at a steady pace: a moment's work every ten
	// minutes or so of demo time, the towns by day, the county (on duty
	// for red reports) day and night.
	for t := start; t.Before(now); t = t.Add(time.Duration(5+h.Rand.IntN(10)) * time.Minute) {
		hr := t.In(h.Loc).Hour()
		steps = append(steps, step{at: t, county: true, towns: hr >= 7 && hr < 22})
	}
	slices.SortStableFunc(steps, func(a, b step) int { return a.at.Compare(b.at) })

	week := isoweek.Of(start, h.Loc)
	var lastSweep time.Time
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return events, err
		}
		for w := isoweek.Of(s.at, h.Loc); cmp.Compare(isoweek.Format(week), isoweek.Format(w)) < 0; week = isoweek.Next(week) {
			// The week is over and every one of its events is stored
			// (each was waited for): build its summaries at its end.
			_, end := isoweek.Bounds(week, h.Loc)
			h.Clock.Set(end)
			if err := h.Sweep(ctx); err != nil {
				return events, err
			}
			if err := h.BuildWeek(ctx, week); err != nil {
				return events, fmt.Errorf("summaries of %s: %w", isoweek.Format(week), err)
			}
		}
		h.Clock.Set(s.at)
		if s.at.Sub(lastSweep) >= 15*time.Minute {
			if err := h.Sweep(ctx); err != nil {
				return events, err
			}
			lastSweep = s.at
		}
		if s.event == nil {
			// A refusal is part of life (a lapsed lease, a race with
			// the sweeper).
			if s.county {
				_ = h.Mediators.StepCounty(ctx)
			}
			if s.towns {
				_ = h.Mediators.Step(ctx)
			}
			continue
		}
		if err := h.Publish(ctx, *s.event); err != nil {
			return events, err
		}
		// Wait until the engine stored it, so its ticket opens now (as the
		// clock says). Bounded generously: a loaded machine is slow.
		for deadline := time.Now().Add(time.Minute); ; {
			ok, err := h.Stored(ctx, s.event.ID)
			if err != nil {
				return events, err
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				return events, fmt.Errorf("event %s not stored within a minute", s.event.ID)
			}
			select {
			case <-ctx.Done():
				return events, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
		events++
		// A red report reaches the county at once: it answers now.
		_ = h.Mediators.StepCounty(ctx)
	}
	return events, nil
}
