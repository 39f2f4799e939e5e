package gridwarn

import "time"

// Event is one risk signal about one enterprise: the event contract v1
// (internal/contract/event-v1.json). Optional numeric fields are pointers so
// that "not reported" differs from zero.
type Event struct {
	ID              string     `json:"id"`
	Enterprise      string     `json:"enterprise"`
	Category        Category   `json:"category"`
	OccurredAt      time.Time  `json:"occurred_at"`
	ReportedAt      *time.Time `json:"reported_at,omitempty"`
	WorkersInvolved *int       `json:"workers_involved,omitempty"`
	AmountOwedCNY   *float64   `json:"amount_owed_cny,omitempty"`
	MonthsInArrears *float64   `json:"months_in_arrears,omitempty"`
	Collective      *bool      `json:"collective,omitempty"`
	Action          Action     `json:"action,omitempty"`
	// OwnerStatus: what was observed of the owner ("" when the reporter
	// says nothing of them).
	OwnerStatus OwnerStatus `json:"owner_status,omitempty"`
	Summary     string      `json:"summary,omitempty"`
	Reporter    *Reporter   `json:"reporter,omitempty"`
}

// Validate checks what the contract's JSON Schema cannot express, for every
// path an event takes (publish, the engine, the API, the console): the
// enterprise's credit code must pass its check (GB 32100), and a wrong one
// is named — "character 18 (check character) is 'G', want 'F'" — instead
// of looking like an enterprise that is not registered yet.
func (e Event) Validate() error {
	if err := ValidateCreditCode(e.Enterprise); err != nil {
		return Invalid("event breaks the contract", FieldError{Field: "enterprise", Rule: RuleCreditCode, Message: err.Error()})
	}
	return nil
}

// Reporter identifies who reported an event.
type Reporter struct {
	Kind ReporterKind `json:"kind"`
	ID   string       `json:"id,omitempty"`
}

// EventSubjectPrefix is the NATS subject prefix of the event stream.
const EventSubjectPrefix = "gridwarn.events."

// CountyCode is the 6-digit administrative division code embedded in the
// enterprise's unified social credit code (characters 3–8). Events are
// published on gridwarn.events.<county code>.
func (e Event) CountyCode() string {
	if len(e.Enterprise) < 8 {
		return ""
	}
	return e.Enterprise[2:8]
}

// Subject is the subject an event is published on by default.
func (e Event) Subject() string { return EventSubjectPrefix + e.CountyCode() }

// StoredEvent is an event as recorded: the event plus where and when it was
// received and the ticket it was grouped into.
type StoredEvent struct {
	Event
	TicketID int64 `json:"ticket_id"`
	Level    Level `json:"level"`
	// Decision explains the level: the rules that fired, on which values,
	// with Chinese and English labels, the score and the rules version.
	Decision   Decision  `json:"decision"`
	Subject    string    `json:"subject"`
	StreamSeq  uint64    `json:"stream_seq"`
	ReceivedAt time.Time `json:"received_at"`
}
