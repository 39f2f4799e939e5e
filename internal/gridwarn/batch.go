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
	// StoredIDs are the ids of the events recorded for the first time (the
	// bench times each event's commit by them).
	StoredIDs []string
}

// EventStore records batches of events. ApplyBatch is atomic: either every
// dead letter, event, ticket change and history line of the batch is
// committed or none is. Each event id is recorded at most once, ever.
type EventStore interface {
	ApplyBatch(ctx context.Context, items []Incoming, dead []DeadLetter) (BatchResult, error)
	// EnterprisesByCode returns the registered enterprises among codes in
	// one query; unknown codes are absent from the map.
	EnterprisesByCode(ctx context.Context, codes []string) (map[string]Enterprise, error)
	// ApplyDecided is ApplyBatch for events still to be decided. Inside the
	// batch's transaction it locks the enterprises of items (a lock per
	// enterprise, held until the commit, taken in one order), reads their
	// histories since a moment (none when since is zero), hands them to
	// decide and records the items decide returns. Several engines sharing
	// one consumer thus decide an enterprise's events one batch at a time,
	// each seeing what the others committed (DECISIONS D2).
	ApplyDecided(ctx context.Context, items []Incoming, dead []DeadLetter, since time.Time, decide DecideFunc) (BatchResult, error)
}

// DecideFunc decides a batch's items from their enterprises' histories
// (nil when none was read). It must be pure: it may run again when the
// transaction is retried.
type DecideFunc func(history map[string]History) []Incoming
