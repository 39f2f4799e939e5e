// Package rules decides the warning level, score and starting tier of an
// event. It is pure: no I/O, safe for concurrent use.
//
// This first version is a fixed mapping of the headline triggers of
// DOMAIN.md's level table, written in Go. The configurable rules file
// (configs/rules.yaml, expressions, history, repetition, score overlay)
// replaces it behind the same gridwarn.Decider interface.
package rules

import (
	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// FixedVersion is the rules version stored with decisions of Fixed.
const FixedVersion = "fixed-0"

// Fixed is the built-in mapping used until a rules file is loaded.
type Fixed struct{}

var _ gridwarn.Decider = Fixed{}

// escalating actions turn a collective dispute into an emergency (DOMAIN.md: red).
var escalating = map[gridwarn.Action]bool{
	"gathering": true, "road_block": true, "sit_in": true, "extreme_act": true,
}

// Decide applies the fixed triggers; the highest level wins.
func (Fixed) Decide(in gridwarn.DecisionInput) gridwarn.Decision {
	e := in.Event
	d := gridwarn.Decision{Level: gridwarn.LevelBlue, RulesVersion: FixedVersion}
	fire := func(rule string, l gridwarn.Level, values map[string]any) {
		d.Fired = append(d.Fired, gridwarn.Firing{Rule: rule, Level: l, Values: values})
		d.Level = gridwarn.MaxLevel(d.Level, l)
	}
	workers := 0
	if e.WorkersInvolved != nil {
		workers = *e.WorkersInvolved
	}
	collective := e.Collective != nil && *e.Collective

	switch {
	case workers >= 100:
		fire("workers_100", gridwarn.LevelRed, map[string]any{"workers_involved": workers})
	case workers >= 30:
		fire("workers_30", gridwarn.LevelOrange, map[string]any{"workers_involved": workers})
	case workers >= 10 && collective:
		fire("collective_10", gridwarn.LevelYellow, map[string]any{"workers_involved": workers, "collective": true})
	}
	if workers >= 10 && escalating[e.Action] {
		fire("escalating_action", gridwarn.LevelRed, map[string]any{"workers_involved": workers, "action": e.Action})
	}
	if e.Category == gridwarn.CategoryWageArrears && e.MonthsInArrears != nil {
		switch m := *e.MonthsInArrears; {
		case m > 2:
			fire("arrears_over_2_months", gridwarn.LevelRed, map[string]any{"months_in_arrears": m})
		case m >= 1:
			fire("arrears_1_to_2_months", gridwarn.LevelOrange, map[string]any{"months_in_arrears": m})
		case m > 0.5:
			fire("arrears_over_15_days", gridwarn.LevelYellow, map[string]any{"months_in_arrears": m})
		}
	}
	if e.Category == gridwarn.CategoryOwnerAbsconded {
		fire("owner_absconded", gridwarn.LevelRed, nil)
	}
	if len(d.Fired) == 0 {
		fire("any_signal", gridwarn.LevelBlue, nil)
	}
	d.Tier = StartingTier(d.Level)
	return d
}

// StartingTier is DOMAIN.md's routing: blue starts at the enterprise, yellow
// and orange at the town, red at the county.
func StartingTier(l gridwarn.Level) gridwarn.Tier {
	switch l {
	case gridwarn.LevelRed:
		return gridwarn.TierCounty
	case gridwarn.LevelYellow, gridwarn.LevelOrange:
		return gridwarn.TierTown
	default:
		return gridwarn.TierEnterprise
	}
}

// Version is FixedVersion.
func (Fixed) Version() string { return FixedVersion }

// HistoryDays is 0: the fixed mapping reads no history.
func (Fixed) HistoryDays() int { return 0 }
