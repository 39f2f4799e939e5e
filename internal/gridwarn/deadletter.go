package gridwarn

import (
	"context"
	"time"
)

// DeadLetterReason is the machine-readable reason a message was set aside.
type DeadLetterReason string

const (
	ReasonMalformedJSON   DeadLetterReason = "malformed_json"
	ReasonSchemaViolation DeadLetterReason = "schema_violation"
	ReasonOversize        DeadLetterReason = "oversize"
	ReasonMaxDeliveries   DeadLetterReason = "max_deliveries"
	// ReasonRejected: the contract accepted the event but the database
	// refused to store it (a value it cannot hold).
	ReasonRejected DeadLetterReason = "rejected_by_database"
	// ReasonUnknownEnterprise: the enterprise is not in the registry;
	// `gridwarn dead-letters replay` re-drives it once it is.
	ReasonUnknownEnterprise DeadLetterReason = "unknown_enterprise"
	// ReasonInvalidCreditCode: the enterprise's credit code fails its check
	// (Event.Validate: length, alphabet, division code or check character).
	// No registry accepts such a code, so replaying cannot help: the
	// reporter must send the event again with the right code.
	ReasonInvalidCreditCode DeadLetterReason = "invalid_credit_code"
	// ReasonDateOutOfWindow: occurred_at (or reported_at) lies outside the
	// configured window (EventWindow) as of the time the broker stored the
	// message. Replaying cannot help: the reporter must send the event
	// again with its real date.
	ReasonDateOutOfWindow DeadLetterReason = "date_out_of_window"
	// ReasonWrongCounty: the subject's county token is not the county of
	// the enterprise the event is about (a publisher may publish only its
	// own county's subjects, so the subject is what the broker vouches for).
	ReasonWrongCounty DeadLetterReason = "wrong_county"
)

// DefaultReplayReason is the reason `gridwarn dead-letters replay` re-drives
// when none is given: the one cause that is fixed outside the event (by
// registering the enterprise).
const DefaultReplayReason = ReasonUnknownEnterprise

// DeadLetter is a message that can never succeed as it is, kept with the
// reason and the raw bytes so that nothing acknowledged is lost silently.
type DeadLetter struct {
	ID         int64            `json:"id"`
	Stream     string           `json:"stream"`
	StreamSeq  uint64           `json:"stream_seq"`
	Subject    string           `json:"subject"`
	MsgID      string           `json:"msg_id,omitempty"`
	EventID    string           `json:"event_id,omitempty"`
	Reason     DeadLetterReason `json:"reason"`
	Detail     string           `json:"detail"`
	Raw        []byte           `json:"raw"`
	Deliveries int              `json:"deliveries"`
	// Attempts counts the tries: 1 when set aside, +1 for each replay
	// that failed again (the same row, with the latest reason and detail).
	Attempts   int        `json:"attempts"`
	CreatedAt  time.Time  `json:"created_at"`
	ReplayedAt *time.Time `json:"replayed_at,omitempty"`
}

// DeadLetterReasons lists every reason.
var DeadLetterReasons = []DeadLetterReason{
	ReasonMalformedJSON, ReasonSchemaViolation, ReasonOversize, ReasonMaxDeliveries, ReasonRejected, ReasonUnknownEnterprise,
	ReasonInvalidCreditCode, ReasonDateOutOfWindow, ReasonWrongCounty,
}

// DeadLetterFilter selects dead letters for a list, newest first.
type DeadLetterFilter struct {
	Reason DeadLetterReason
	// NotReplayed keeps only dead letters never re-driven.
	NotReplayed bool
	AfterID     int64
	Limit       int
}

// DeadLetterService lists dead letters of the county v sees.
type DeadLetterService interface {
	ListDeadLetters(ctx context.Context, v Visibility, f DeadLetterFilter) ([]DeadLetter, error)
}
