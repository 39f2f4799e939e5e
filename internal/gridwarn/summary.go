package gridwarn

import (
	"context"
	"time"
)

// Week is an ISO week, e.g. 2026-W47, in the summary's time zone
// (Asia/Shanghai by default): Monday 00:00 to the next Monday 00:00.
type Week struct {
	Year int `json:"year"`
	Week int `json:"week"`
}

// WeeklySummary is what leadership reads every week for one scope (the
// county or a town): computed from the stored events and ticket history.
type WeeklySummary struct {
	Week      Week      `json:"week"`
	ISO       string    `json:"iso"` // "2026-W47"
	UnitCode  string    `json:"unit_code"`
	UnitName  string    `json:"unit_name"`
	From      time.Time `json:"from"` // Monday 00:00 local
	To        time.Time `json:"to"`   // the next Monday 00:00 local
	TimeZone  string    `json:"time_zone"`
	BuiltAt   time.Time `json:"built_at"`
	Revision  int       `json:"revision"`
	RulesNote string    `json:"rules_note,omitempty"`

	Headline Headline         `json:"headline"`
	Previous Headline         `json:"previous"`    // the week before, for week-over-week change
	ByLevel  map[Level]int    `json:"by_level"`    // events of the week by level
	ByCat    map[Category]int `json:"by_category"` // events of the week by category
	Towns    []TownLine       `json:"towns"`       // a line per town (county summaries)

	TimeLimits []TierLimitsMet   `json:"time_limits"` // per tier
	Accept     Durations         `json:"accept"`      // opened → accepted, tickets accepted this week
	Resolve    Durations         `json:"resolve"`     // opened → closed, tickets closed this week
	Backlog    []AgeBucket       `json:"backlog"`     // open tickets at the end of the week by age
	Riskiest   []RiskyEnterprise `json:"riskiest"`    // the ten riskiest enterprises
	Red        []RedTicket       `json:"red"`         // every red ticket touched this week
	Trend      []WeekLevels      `json:"trend"`       // events by level, the last 8 weeks (oldest first)
	// Hotline counts the 12351 cases filed in the span about the scope
	// (a county's: every case of the county, held ones included; a town's:
	// those about its enterprises); absent in summaries built before it.
	Hotline *HotlineFigures `json:"hotline,omitempty"`
}

// Headline is the numbers on the first line of a summary.
type Headline struct {
	Events            int     `json:"events"`
	NewTickets        int     `json:"new_tickets"`
	Escalated         int     `json:"escalated"`
	Closed            int     `json:"closed"`
	Overdue           int     `json:"overdue"` // open and past a limit at the end of the week
	MoneyRecoveredCNY float64 `json:"money_recovered_cny"`
	WorkersCovered    int     `json:"workers_covered"`
	CallBacks         int     `json:"call_backs"`
	Satisfied         int     `json:"satisfied"`
	SatisfactionPct   float64 `json:"satisfaction_pct"` // of call-backs; 0 when none
}

// TownLine compares one town with the others.
type TownLine struct {
	TownCode string        `json:"town_code"`
	TownName string        `json:"town_name"`
	ByLevel  map[Level]int `json:"by_level"`
	Headline Headline      `json:"headline"`
}

// TierLimitsMet is the share of a tier's clocks that ended this week
// within their limit.
type TierLimitsMet struct {
	Tier   Tier    `json:"tier"`
	Ended  int     `json:"ended"`
	Met    int     `json:"met"`
	MetPct float64 `json:"met_pct"`
}

// Durations are the median and 90th percentile of a set of durations.
type Durations struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_hours"`
	P90   float64 `json:"p90_hours"`
}

// AgeBucket counts open tickets by age.
type AgeBucket struct {
	Label string `json:"label"` // "< 1 day", "1–7 days", "7–15 days", "15–30 days", "> 30 days"
	Count int    `json:"count"`
}

// RiskyEnterprise is one of the riskiest enterprises of the week.
type RiskyEnterprise struct {
	CreditCode string `json:"credit_code"`
	Name       string `json:"name"`
	TownCode   string `json:"town_code"`
	Score      int    `json:"score"`  // the highest score of the week
	Level      Level  `json:"level"`  // the highest level of the week
	Events     int    `json:"events"` // this week
	Trend      int    `json:"trend"`  // events this week minus the week before
}

// RedTicket is a red ticket of the week with why it fired.
type RedTicket struct {
	TicketID   int64    `json:"ticket_id"`
	Enterprise string   `json:"enterprise"`
	Name       string   `json:"name"`
	Category   Category `json:"category"`
	Status     Status   `json:"status"`
	Tier       Tier     `json:"tier"`
	Rules      []string `json:"rules"` // the rules that fired, with labels
}

// WeekLevels is one week of the trend.
type WeekLevels struct {
	ISO     string        `json:"iso"`
	ByLevel map[Level]int `json:"by_level"`
}

// SummaryInfo is a stored summary in a list.
type SummaryInfo struct {
	UnitCode string    `json:"unit_code"`
	Week     string    `json:"week"`
	Revision int       `json:"revision"`
	BuiltAt  time.Time `json:"built_at"`
	BuiltBy  string    `json:"built_by"`
}

// SummaryService reads stored weekly summaries; v limits them to the
// caller's county or town (ENOTFOUND outside).
type SummaryService interface {
	WeeklySummaries(ctx context.Context, v Visibility, limit int) ([]SummaryInfo, error)
	WeeklySummary(ctx context.Context, v Visibility, unit, week string) (*WeeklySummary, error)
}
