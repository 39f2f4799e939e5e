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
)

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
	CreatedAt  time.Time        `json:"created_at"`
}

// DeadLetterFilter selects dead letters for a list, newest first.
type DeadLetterFilter struct {
	Reason  DeadLetterReason
	AfterID int64
	Limit   int
}

// DeadLetterService lists dead letters.
type DeadLetterService interface {
	ListDeadLetters(ctx context.Context, f DeadLetterFilter) ([]DeadLetter, error)
}
