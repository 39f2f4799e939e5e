package rules

import (
	"testing"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func TestFixed(t *testing.T) {
	n := func(i int) *int { return &i }
	f := func(x float64) *float64 { return &x }
	yes := true
	for _, tc := range []struct {
		name  string
		e     gridwarn.Event
		level gridwarn.Level
		tier  gridwarn.Tier
	}{
		{"any signal is blue", gridwarn.Event{Category: "contract"}, "blue", "enterprise"},
		{"9 collective workers stay blue", gridwarn.Event{Category: "pay_terms", WorkersInvolved: n(9), Collective: &yes}, "blue", "enterprise"},
		{"10 collective workers are yellow", gridwarn.Event{Category: "pay_terms", WorkersInvolved: n(10), Collective: &yes}, "yellow", "town"},
		{"10 workers without a common demand stay blue", gridwarn.Event{Category: "pay_terms", WorkersInvolved: n(10)}, "blue", "enterprise"},
		{"29 workers", gridwarn.Event{Category: "other", WorkersInvolved: n(29)}, "blue", "enterprise"},
		{"30 workers are orange", gridwarn.Event{Category: "other", WorkersInvolved: n(30)}, "orange", "town"},
		{"99 workers", gridwarn.Event{Category: "other", WorkersInvolved: n(99)}, "orange", "town"},
		{"100 workers are red", gridwarn.Event{Category: "other", WorkersInvolved: n(100)}, "red", "county"},
		{"10 workers gathering are red", gridwarn.Event{Category: "collective_action", WorkersInvolved: n(10), Action: "gathering"}, "red", "county"},
		{"arrears 15 days", gridwarn.Event{Category: "wage_arrears", MonthsInArrears: f(0.5)}, "blue", "enterprise"},
		{"arrears over 15 days", gridwarn.Event{Category: "wage_arrears", MonthsInArrears: f(0.6)}, "yellow", "town"},
		{"arrears exactly 1 month", gridwarn.Event{Category: "wage_arrears", MonthsInArrears: f(1)}, "orange", "town"},
		{"arrears exactly 2 months", gridwarn.Event{Category: "wage_arrears", MonthsInArrears: f(2)}, "orange", "town"},
		{"arrears over 2 months", gridwarn.Event{Category: "wage_arrears", MonthsInArrears: f(2.1)}, "red", "county"},
		{"owner absconded", gridwarn.Event{Category: "owner_absconded"}, "red", "county"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Fixed{}.Decide(gridwarn.DecisionInput{Event: tc.e})
			if d.Level != tc.level || d.Tier != tc.tier || d.RulesVersion != FixedVersion || len(d.Fired) == 0 {
				t.Errorf("Decide = %+v, want level %s tier %s with the rules that fired", d, tc.level, tc.tier)
			}
		})
	}
}
