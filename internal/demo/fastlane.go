package demo

import (
	"sync/atomic"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// FastLane is a clock planner for the demo: one ticket in Every that
// enters the enterprise tier gets clocks Factor times as long as Base
// plans (a fast clock), the others Base's. At a time scale where a person
// has time to work a ticket at each tier, the fast few still show
// escalation (enterprise → town) happening while one watches; the town
// and county tiers, where the demo's people work, keep the time scale.
type FastLane struct {
	Base   gridwarn.ClockPlanner
	Every  int     // e.g. 10
	Factor float64 // e.g. 0.02
	n      atomic.Int64
}

// Clocks plans the clocks of a ticket entering tier.
func (f *FastLane) Clocks(tier gridwarn.Tier, level gridwarn.Level, start time.Time) []gridwarn.ClockPlan {
	plans := f.Base.Clocks(tier, level, start)
	if f.Every <= 0 || tier != gridwarn.TierEnterprise || f.n.Add(1)%int64(f.Every) != 0 {
		return plans
	}
	out := make([]gridwarn.ClockPlan, len(plans))
	for i, p := range plans {
		p.RemindAt = start.Add(time.Duration(float64(p.RemindAt.Sub(start)) * f.Factor))
		p.DueAt = start.Add(time.Duration(float64(p.DueAt.Sub(start)) * f.Factor))
		out[i] = p
	}
	return out
}

// CountyAbsorbs is Base's.
func (f *FastLane) CountyAbsorbs() bool { return f.Base.CountyAbsorbs() }

// Stretch is a clock planner whose clocks are Factor times as long as
// Base's, at every tier: the demo's history runs on real time limits
// (Factor = 1 / the time scale), as the weeks it replays would have.
type Stretch struct {
	Base   gridwarn.ClockPlanner
	Factor float64
}

// Clocks plans the clocks of a ticket entering tier.
func (s *Stretch) Clocks(tier gridwarn.Tier, level gridwarn.Level, start time.Time) []gridwarn.ClockPlan {
	plans := s.Base.Clocks(tier, level, start)
	for i, p := range plans {
		plans[i].RemindAt = start.Add(time.Duration(float64(p.RemindAt.Sub(start)) * s.Factor))
		plans[i].DueAt = start.Add(time.Duration(float64(p.DueAt.Sub(start)) * s.Factor))
	}
	return plans
}

// CountyAbsorbs is Base's.
func (s *Stretch) CountyAbsorbs() bool { return s.Base.CountyAbsorbs() }

// BodyClock is Base's outside-body clock (none when Base has none): the
// referrals of the demo run on the demo's time scale.
func (f *FastLane) BodyClock(body string, kind gridwarn.ClockKind, start time.Time, extended bool) (gridwarn.ClockPlan, bool) {
	if b, ok := f.Base.(gridwarn.BodyClockPlanner); ok {
		return b.BodyClock(body, kind, start, extended)
	}
	return gridwarn.ClockPlan{}, false
}

// BodyClock is Base's outside-body clock, Factor times as long.
func (s *Stretch) BodyClock(body string, kind gridwarn.ClockKind, start time.Time, extended bool) (gridwarn.ClockPlan, bool) {
	b, ok := s.Base.(gridwarn.BodyClockPlanner)
	if !ok {
		return gridwarn.ClockPlan{}, false
	}
	p, ok := b.BodyClock(body, kind, start, extended)
	p.RemindAt = start.Add(time.Duration(float64(p.RemindAt.Sub(start)) * s.Factor))
	p.DueAt = start.Add(time.Duration(float64(p.DueAt.Sub(start)) * s.Factor))
	return p, ok
}
