package gridwarn

import "time"

// Decision is what the rules say about one event: its warning level, the
// tier that should own it, a 0–100 risk score and the rules that fired.
type Decision struct {
	Level        Level    `json:"level"`
	Tier         Tier     `json:"tier"`
	Score        int      `json:"score"`
	RulesVersion string   `json:"rules_version"`
	Fired        []Firing `json:"fired,omitempty"`
	// Relapse is set when a ticket of the category was closed recently and
	// this signal reopens the matter one level higher.
	Relapse bool `json:"relapse,omitempty"`
}

// Firing is one rule that fired and the values that made it fire.
type Firing struct {
	Rule    string         `json:"rule"`
	Level   Level          `json:"level"`
	Values  map[string]any `json:"values,omitempty"`
	LabelZH string         `json:"label_zh,omitempty"`
	LabelEN string         `json:"label_en,omitempty"`
}

// Signal is one earlier event about an enterprise, as the rules see it.
type Signal struct {
	EventID    string    `json:"event_id"`
	Category   Category  `json:"category"`
	OccurredAt time.Time `json:"occurred_at"`
	Workers    int       `json:"workers"`
	Level      Level     `json:"level"`
}

// History is what the rules may know about an enterprise's past: its
// recent signals (newest first, within the rules' longest window) and when
// a ticket of each category was last closed. The caller gathers it for a
// whole batch at once; the rules do no I/O.
type History struct {
	Signals    []Signal               `json:"signals,omitempty"`
	LastClosed map[Category]time.Time `json:"last_closed,omitempty"`
}

// DecisionInput is everything a decision may depend on.
type DecisionInput struct {
	Event      Event
	Enterprise Enterprise
	History    History
	// Now is when the decision is made (history windows end here).
	Now time.Time
}

// Decider turns an event into a decision. Implementations are pure: no I/O,
// safe for concurrent use.
type Decider interface {
	Decide(in DecisionInput) Decision
	// Version is the rules version stored with every decision.
	Version() string
	// HistoryDays is the longest history window the rules read.
	HistoryDays() int
}

// ClockKind names one of a tier's time limits.
type ClockKind string

const (
	ClockAccept  ClockKind = "accept"  // 签收
	ClockContact ClockKind = "contact" // first contact / on site
	ClockResolve ClockKind = "resolve" // 办结 (or refer)
)

// ClockPlan is when a clock of a tier entered at some moment reminds and is due.
type ClockPlan struct {
	Kind     ClockKind
	RemindAt time.Time
	DueAt    time.Time
}

// ClockPlanner gives the clocks a ticket starts when it enters a tier.
type ClockPlanner interface {
	Clocks(tier Tier, level Level, start time.Time) []ClockPlan
	// CountyAbsorbs: an open county-tier ticket of an enterprise absorbs
	// the enterprise's new signals that would open a lower-tier ticket
	// (rules: grouping.county_absorbs).
	CountyAbsorbs() bool
}

// Clock is one time limit of one tier on a ticket, kept separately per
// tier so one can see which tier used the time.
type Clock struct {
	Tier       Tier       `json:"tier"`
	Kind       ClockKind  `json:"kind"`
	StartedAt  time.Time  `json:"started_at"`
	RemindAt   time.Time  `json:"remind_at"`
	DueAt      time.Time  `json:"due_at"`
	RemindedAt *time.Time `json:"reminded_at,omitempty"`
	BreachedAt *time.Time `json:"breached_at,omitempty"`
	StoppedAt  *time.Time `json:"stopped_at,omitempty"`
	StopReason string     `json:"stop_reason,omitempty"`
}

// RulesInfo describes the rules in force.
type RulesInfo struct {
	Version   string    `json:"version"`
	File      string    `json:"file"` // "" for the built-in default
	RuleCount int       `json:"rule_count"`
	LoadedAt  time.Time `json:"loaded_at"`
	// LastError is the error of the last failed reload ("" if the last one
	// succeeded); the rules above stayed in force.
	LastError string `json:"last_error,omitempty"`
}

// RulesService reports and reloads the rules in force.
type RulesService interface {
	RulesInfo() RulesInfo
	ReloadRules() (RulesInfo, error)
}
