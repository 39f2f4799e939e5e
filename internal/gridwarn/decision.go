package gridwarn

// Decision is what the rules say about one event: its warning level, the
// tier that should own it, a 0–100 risk score and the rules that fired.
type Decision struct {
	Level        Level    `json:"level"`
	Tier         Tier     `json:"tier"`
	Score        int      `json:"score"`
	RulesVersion string   `json:"rules_version"`
	Fired        []Firing `json:"fired,omitempty"`
}

// Firing is one rule that fired and the values that made it fire.
type Firing struct {
	Rule   string         `json:"rule"`
	Level  Level          `json:"level"`
	Values map[string]any `json:"values,omitempty"`
}

// Decider turns an event into a decision. Implementations are pure: no I/O,
// safe for concurrent use.
type Decider interface {
	Decide(e Event) Decision
}
