package rules

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// benchInputs makes one event for each of n enterprises, each with
// signals earlier signals spread over the last 30 days and, for one in
// five, a ticket closed in the last 90 days. The values are drawn from a
// fixed seed around every trigger of the default rules.
func benchInputs(n, signals int) []gridwarn.DecisionInput {
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	actions := []gridwarn.Action{"", "", "", "petition", "gathering", "road_block", "sit_in", "online_only"}
	out := make([]gridwarn.DecisionInput, n)
	for i := range out {
		cat := gridwarn.Categories[rng.IntN(len(gridwarn.Categories))]
		e := gridwarn.Event{
			ID:         fmt.Sprintf("bench-%d", i),
			Enterprise: fmt.Sprintf("E%06d", i),
			Category:   cat,
			OccurredAt: now.Add(-time.Duration(rng.IntN(72)) * time.Hour),
			Action:     actions[rng.IntN(len(actions))],
		}
		if rng.IntN(4) > 0 {
			e.WorkersInvolved = ptr(rng.IntN(150))
			e.Collective = ptr(rng.IntN(2) == 0)
		}
		if cat == gridwarn.CategoryWageArrears || rng.IntN(3) == 0 {
			e.MonthsInArrears = ptr(float64(rng.IntN(7)) / 2)
			e.AmountOwedCNY = ptr(float64(rng.IntN(200000)))
		}
		h := gridwarn.History{Signals: make([]gridwarn.Signal, signals)}
		for j := range h.Signals {
			h.Signals[j] = gridwarn.Signal{
				EventID:    fmt.Sprintf("bench-%d-%d", i, j),
				Category:   gridwarn.Categories[rng.IntN(len(gridwarn.Categories))],
				OccurredAt: now.Add(-time.Duration(rng.IntN(30*24)) * time.Hour),
				Workers:    rng.IntN(50),
				Level:      gridwarn.Levels[rng.IntN(4)],
			}
		}
		if rng.IntN(5) == 0 {
			h.LastClosed = map[gridwarn.Category]time.Time{cat: now.Add(-time.Duration(rng.IntN(90*24)) * time.Hour)}
		}
		out[i] = gridwarn.DecisionInput{
			Event:      e,
			Enterprise: gridwarn.Enterprise{Headcount: 20 + rng.IntN(800), RegisteredCapitalCNY: float64(rng.IntN(5_000_000))},
			History:    h,
			Now:        now,
		}
	}
	return out
}

// BenchmarkDecide: decisions per second on one goroutine, for 10,000
// enterprises with 10 signals each in a 30-day window, through every rule
// of the default file with the score overlay on.
func BenchmarkDecide(b *testing.B) {
	inputs := benchInputs(10_000, 10)
	r := Default().WithScoreOverlay(true)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.Decide(inputs[i])
		if i++; i == len(inputs) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}
