// Package gridwarn is the domain of the labor-dispute early-warning system:
// events (risk signals), tickets, warning levels, tiers and categories, the
// application error type and the interfaces the adapters implement.
//
// It imports no adapter: the postgres, natsbus and api packages depend on it,
// never the reverse.
package gridwarn

import (
	"fmt"
	"slices"
)

// Level is a warning level. Higher levels win when signals are grouped.
type Level string

const (
	LevelBlue   Level = "blue"   // 蓝 关注
	LevelYellow Level = "yellow" // 黄 预警
	LevelOrange Level = "orange" // 橙 严重
	LevelRed    Level = "red"    // 红 紧急
)

// Levels lists every level from lowest to highest.
var Levels = []Level{LevelBlue, LevelYellow, LevelOrange, LevelRed}

// Rank orders levels: blue=1 … red=4; an unknown level is 0.
func (l Level) Rank() int { return slices.Index(Levels, l) + 1 }

// Valid reports whether l is one of Levels.
func (l Level) Valid() bool { return l.Rank() > 0 }

// MaxLevel returns the higher of two levels.
func MaxLevel(a, b Level) Level {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// Tier is a rung of the escalation ladder.
type Tier string

const (
	TierEnterprise Tier = "enterprise" // enterprise union + grid worker
	TierTown       Tier = "town"       // town union mediation
	TierCounty     Tier = "county"     // county union + court + lawyers + arbitration
)

// Tiers lists the ladder from bottom to top.
var Tiers = []Tier{TierEnterprise, TierTown, TierCounty}

// Rank orders tiers: enterprise=1 … county=3; an unknown tier is 0.
func (t Tier) Rank() int { return slices.Index(Tiers, t) + 1 }

// Valid reports whether t is one of Tiers.
func (t Tier) Valid() bool { return t.Rank() > 0 }

// MaxTier returns the higher of two tiers.
func MaxTier(a, b Tier) Tier {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// Category is the kind of labor risk a signal is about (DOMAIN.md).
type Category string

const (
	CategoryWageArrears            Category = "wage_arrears"
	CategorySocialInsuranceArrears Category = "social_insurance_arrears"
	CategoryLayoff                 Category = "layoff"
	CategoryClosureRelocation      Category = "closure_relocation"
	CategoryOwnerAbsconded         Category = "owner_absconded"
	CategoryFinancialDistress      Category = "financial_distress"
	CategoryOvertimeRest           Category = "overtime_rest"
	CategoryPayTerms               Category = "pay_terms"
	CategoryContract               Category = "contract"
	CategorySeverance              Category = "severance"
	CategoryPension                Category = "pension"
	CategorySafetyInjury           Category = "safety_injury"
	CategoryCollectiveAction       Category = "collective_action"
	CategoryOnlineSentiment        Category = "online_sentiment"
	CategoryManagementConduct      Category = "management_conduct"
	CategoryUnionConsultation      Category = "union_consultation"
	CategoryOther                  Category = "other"
)

// Categories lists every category code in DOMAIN.md's order.
var Categories = []Category{
	CategoryWageArrears, CategorySocialInsuranceArrears, CategoryLayoff, CategoryClosureRelocation,
	CategoryOwnerAbsconded, CategoryFinancialDistress, CategoryOvertimeRest, CategoryPayTerms,
	CategoryContract, CategorySeverance, CategoryPension, CategorySafetyInjury,
	CategoryCollectiveAction, CategoryOnlineSentiment, CategoryManagementConduct,
	CategoryUnionConsultation, CategoryOther,
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool { return slices.Contains(Categories, c) }

// Action is what workers do together, as reported with an event.
type Action string

// Actions lists the collective actions the event contract accepts.
var Actions = []Action{"stoppage", "slowdown", "sit_in", "gathering", "road_block", "petition", "extreme_act", "online_only"}

// OwnerStatus is what the reporter observed of the enterprise's owner (the
// legal representative or the boss), as reported with an event.
type OwnerStatus string

const (
	// OwnerAbsconded: the owner has fled — gone with assets moved, premises
	// abandoned or a subcontractor vanished (DOMAIN.md: red by itself). An
	// owner_absconded event that says nothing of the owner means this.
	OwnerAbsconded OwnerStatus = "absconded"
	// OwnerUnreachable: the owner cannot be reached (phone off, not at the
	// premises) and nothing more is known; occurred_at is when they were
	// last reachable (DOMAIN.md: orange once that is more than 24 h ago).
	OwnerUnreachable OwnerStatus = "unreachable"
)

// OwnerStatuses lists the owner statuses the event contract accepts.
var OwnerStatuses = []OwnerStatus{OwnerAbsconded, OwnerUnreachable}

// ReporterKind says where a signal came from.
type ReporterKind string

// ReporterKinds lists the reporter kinds the event contract accepts.
var ReporterKinds = []ReporterKind{
	"grid_worker", "direct_report_point", "hotline", "enterprise_system", "department_data", "sentiment_monitor",
}

// ParseLevel converts s to a Level or returns an invalid-input error.
func ParseLevel(s string) (Level, error) {
	if l := Level(s); l.Valid() {
		return l, nil
	}
	return "", fmt.Errorf("unknown level %q", s)
}
