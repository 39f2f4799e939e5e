package gridwarn

import (
	"context"
	"strings"
	"time"
)

// Reporter protection. A person who reports an employer takes a risk, so a
// reporter's identity is for the system, not for the people who work the
// ticket: mediators and leaders see a stable pseudonym (Pseudonym); the
// identity itself is read only by a person the county administrator granted
// it to, for a stated reason, and every such read is kept in an append-only
// log the county administrator reads. Identities are erased from tickets
// that have been closed longer than the retention period; the erasure is a
// line in the ticket's history.

// HistoryIdentitiesErased, on a closed ticket: the identities of its
// reporters were erased after the retention period.
const HistoryIdentitiesErased HistoryKind = "identities_erased"

// PseudonymPrefix starts every pseudonym, so a reader can tell one from a
// username.
const PseudonymPrefix = "anon-"

// IsPseudonym reports whether id is a pseudonym rather than an identity.
func IsPseudonym(id string) bool { return strings.HasPrefix(id, PseudonymPrefix) }

// MaxReasonChars bounds the reason given for reading identities.
const MaxReasonChars = 500

// EventReporter is who reported one event of a ticket.
type EventReporter struct {
	EventID   string       `json:"event_id"`
	Kind      ReporterKind `json:"kind"`
	Pseudonym string       `json:"pseudonym"`
	// ID is the reporter's identity (a username, a report point's id); ""
	// when it was erased.
	ID string `json:"id,omitempty"`
	// CallerName and CallerPhone: for a 12351 case (kind hotline), the
	// caller the operator filed it for — needed for the call-back; "" once
	// erased.
	CallerName  string `json:"caller_name,omitempty"`
	CallerPhone string `json:"caller_phone,omitempty"`
}

// IdentityRead is one line of the identity-read log.
type IdentityRead struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Reader   string    `json:"reader"`
	TicketID int64     `json:"ticket_id"`
	Reason   string    `json:"reason"`
	// Identities is how many identities the read returned.
	Identities int `json:"identities"`
}

// PrivacyService reads reporters' identities under the rules above.
type PrivacyService interface {
	// ReporterIdentities returns who reported each event of a ticket p
	// sees, and logs the read with the reason. EFORBIDDEN unless p was
	// granted identity reads; EINVALID without a reason; ENOTFOUND for a
	// ticket outside v.
	ReporterIdentities(ctx context.Context, p *Principal, v Visibility, ticketID int64, reason string) ([]EventReporter, error)
	// SetIdentityReader grants (or withdraws) identity reads to a mediator
	// or leader; only a county-wide administrator may.
	SetIdentityReader(ctx context.Context, p *Principal, userID int64, granted bool) error
	// IdentityReads lists the log, newest first; county-wide administrators
	// only.
	IdentityReads(ctx context.Context, p *Principal, afterID int64, limit int) ([]IdentityRead, error)
}
