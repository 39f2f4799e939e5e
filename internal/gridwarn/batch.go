package gridwarn

import (
	"context"
	"time"
)

// Incoming is one valid event taken from the broker, with the enterprise
// it is about, the decision the rules made and where it came from.
type Incoming struct {
	Event      Event
	Enterprise Enterprise
	Decision   Decision
	Subject    string
	StreamSeq  uint64
}

// BatchResult says what applying a batch changed.
type BatchResult struct {
	Stored        int // events recorded for the first time
	Duplicates    int // events already recorded (redelivery, resend)
	TicketsOpened int
	DeadLetters   int // dead letters recorded for the first time
}

// EventStore records batches of events. ApplyBatch is atomic: either every
// dead letter, event, ticket change and history line of the batch is
// committed or none is. Each event id is recorded at most once, ever.
type EventStore interface {
	ApplyBatch(ctx context.Context, items []Incoming, dead []DeadLetter) (BatchResult, error)
	// EnterprisesByCode returns the registered enterprises among codes in
	// one query; unknown codes are absent from the map.
	EnterprisesByCode(ctx context.Context, codes []string) (map[string]Enterprise, error)
	// Histories returns the history since a moment of each enterprise in
	// codes, in one round of queries for the whole batch.
	Histories(ctx context.Context, codes []string, since time.Time) (map[string]History, error)
}
