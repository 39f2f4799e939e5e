package demo

import (
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

type hourPlanner struct{}

func (hourPlanner) Clocks(_ gridwarn.Tier, _ gridwarn.Level, start time.Time) []gridwarn.ClockPlan {
	return []gridwarn.ClockPlan{{Kind: "accept", RemindAt: start.Add(48 * time.Minute), DueAt: start.Add(time.Hour)}}
}
func (hourPlanner) CountyAbsorbs() bool { return true }

// One enterprise-tier ticket in Every runs on the fast clock; the town and
// the county, where the demo's people work, never do.
func TestFastLane(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	f := &FastLane{Base: hourPlanner{}, Every: 10, Factor: 0.02}
	fast := 0
	for range 100 {
		p := f.Clocks(gridwarn.TierEnterprise, gridwarn.LevelBlue, start)[0]
		switch p.DueAt.Sub(start) {
		case 72 * time.Second:
			fast++
			if p.RemindAt.Sub(start) != time.Duration(float64(48*time.Minute)*0.02) {
				t.Errorf("fast reminder at %v", p.RemindAt.Sub(start))
			}
		case time.Hour:
		default:
			t.Fatalf("due after %v", p.DueAt.Sub(start))
		}
	}
	if fast != 10 {
		t.Errorf("%d of 100 enterprise-tier tickets on the fast clock, want 10", fast)
	}
	for _, tier := range []gridwarn.Tier{gridwarn.TierTown, gridwarn.TierCounty} {
		for range 30 {
			if d := f.Clocks(tier, gridwarn.LevelOrange, start)[0].DueAt.Sub(start); d != time.Hour {
				t.Fatalf("%s ticket due after %v, want the scaled hour", tier, d)
			}
		}
	}
	if !f.CountyAbsorbs() {
		t.Error("CountyAbsorbs is not the base's")
	}
	// Stretch undoes the time scale for the history.
	s := &Stretch{Base: hourPlanner{}, Factor: 10}
	if d := s.Clocks(gridwarn.TierCounty, gridwarn.LevelRed, start)[0].DueAt.Sub(start); d != 10*time.Hour {
		t.Errorf("stretched: due after %v, want 10h", d)
	}
}

func TestClock(t *testing.T) {
	var c Clock
	past := time.Now().AddDate(0, 0, -20)
	c.Set(past)
	if d := c.Now().Sub(past); d < 0 || d > time.Minute {
		t.Errorf("set to %v, reads %v", past, c.Now())
	}
	c.Reset()
	if d := time.Since(c.Now()); d < -time.Minute || d > time.Minute {
		t.Errorf("reset reads %v", c.Now())
	}
}
