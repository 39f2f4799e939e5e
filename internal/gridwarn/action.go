package gridwarn

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ActionRequest is one step of a ticket's life taken by a person: the
// action (a workflow action name), the version the caller saw (If-Match)
// and the action's body.
type ActionRequest struct {
	TicketID int64
	Action   string
	IfMatch  int
	Body     ActionBody
}

// ActionBody carries every field an action may need; each action reads
// only its own (workflow.Table lists them).
type ActionBody struct {
	Note         string     `json:"note,omitempty"`         // close, note
	Visibility   string     `json:"visibility,omitempty"`   // note: internal or shareable
	Reason       string     `json:"reason,omitempty"`       // return, escalate, extend, reopen
	Instructions string     `json:"instructions,omitempty"` // hand_down
	Assignee     string     `json:"assignee,omitempty"`     // assign: a username
	Outcome      *Outcome   `json:"outcome,omitempty"`      // reply
	Approved     *bool      `json:"approved,omitempty"`     // review
	Satisfied    *bool      `json:"satisfied,omitempty"`    // callback
	Paid         *bool      `json:"paid,omitempty"`         // follow_up
	FollowUpOn   string     `json:"follow_up_on,omitempty"` // follow_up: the promised date (YYYY-MM-DD)
	DueAt        *time.Time `json:"due_at,omitempty"`       // extend
	Into         int64      `json:"into,omitempty"`         // merge
	Body         string     `json:"body,omitempty"`         // refer: arbitration, court, labor_inspection
	Reference    string     `json:"reference,omitempty"`    // refer: the receiving body's reference number
	Contact      *Contact   `json:"contact,omitempty"`      // contact
}

// Outcome is what a mediator records when replying.
type Outcome struct {
	Result             string     `json:"result"` // settled_by_mediation, paid_in_full, paid_in_part, referred, withdrawn, not_a_labor_dispute
	AmountRecoveredCNY float64    `json:"amount_recovered_cny,omitempty"`
	WorkersCovered     int        `json:"workers_covered,omitempty"`
	AgreementDate      string     `json:"agreement_date,omitempty"`    // YYYY-MM-DD
	PromisedPayments   []string   `json:"promised_payments,omitempty"` // YYYY-MM-DD, each schedules a follow-up
	RecordedAt         *time.Time `json:"recorded_at,omitempty"`
}

// Outcomes lists the accepted outcome results.
var Outcomes = []string{"settled_by_mediation", "paid_in_full", "paid_in_part", "referred", "withdrawn", "not_a_labor_dispute"}

// Contact is one entry of a ticket's contact log.
type Contact struct {
	Kind      string    `json:"kind"` // phone_call, site_visit, mediation_session
	HeldAt    time.Time `json:"held_at"`
	Place     string    `json:"place,omitempty"`
	Attendees []string  `json:"attendees,omitempty"`
	Summary   string    `json:"summary,omitempty"`
}

// QueueFilter selects a mediator's queue.
type QueueFilter struct {
	Level    Level
	Category Category
	TownCode string
	Status   Status
	Mine     bool // claimed by the caller
	Open     bool // unclaimed
	After    *QueueKey
	Limit    int
}

// QueueKey is a queue item's place in the queue's order: red first, then
// the nearest deadline (none last), then the id.
type QueueKey struct {
	LevelRank int
	Due       *time.Time
	ID        int64
}

// Cursor is the opaque cursor that continues a queue after k (the API's
// next_cursor and the console's "more" link).
func (k QueueKey) Cursor() string {
	due := "-"
	if k.Due != nil {
		due = k.Due.UTC().Format(time.RFC3339Nano)
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "q1|%d|%s|%d", k.LevelRank, due, k.ID))
}

// ParseQueueCursor reads a cursor made by QueueKey.Cursor; ok is false for
// anything else (a cursor that does not re-encode to itself included).
func ParseQueueCursor(s string) (k QueueKey, ok bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	parts := strings.Split(string(b), "|")
	if s == "" || err != nil || len(parts) != 4 || parts[0] != "q1" {
		return k, false
	}
	rank, err1 := strconv.Atoi(parts[1])
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || rank < 1 || rank > 4 || id < 1 {
		return k, false
	}
	k = QueueKey{LevelRank: rank, ID: id}
	if parts[2] != "-" {
		t, err := time.Parse(time.RFC3339Nano, parts[2])
		if err != nil {
			return k, false
		}
		k.Due = &t
	}
	return k, k.Cursor() == s
}

// Key is the item's place in the queue.
func (it QueueItem) Key() QueueKey {
	return QueueKey{LevelRank: it.Level.Rank(), Due: it.DueAt, ID: it.ID}
}

// WorkService takes the steps of a ticket's life for a person.
type WorkService interface {
	Act(ctx context.Context, p *Principal, v Visibility, req ActionRequest) (*Ticket, error)
	Queue(ctx context.Context, p *Principal, v Visibility, f QueueFilter) ([]QueueItem, error)
	ClaimNext(ctx context.Context, p *Principal, v Visibility) (*Ticket, error)
	// Allowed lists the actions (workflow action names) p may take on the
	// ticket now: what Act would accept, given a body with the fields.
	Allowed(ctx context.Context, p *Principal, v Visibility, ticketID int64) ([]string, error)
}

// QueueItem is a ticket in a queue with its nearest deadline.
type QueueItem struct {
	Ticket
	DueAt *time.Time `json:"due_at,omitempty"`
}

// LegalClocks are the clocks the law sets on a dispute.
type LegalClocks struct {
	// Mediation (art. 14): from acceptance at a mediating tier; with no
	// agreement when it runs out, the ticket suggests arbitration.
	MediationStartedAt *time.Time `json:"mediation_started_at,omitempty"`
	MediationDueAt     *time.Time `json:"mediation_due_at,omitempty"`
	MediationDaysLeft  *int       `json:"mediation_days_left,omitempty"`
	SuggestArbitration bool       `json:"suggest_arbitration"`
	// Limitation (art. 27): from the earliest occurred_at.
	LimitationStartsAt time.Time `json:"limitation_starts_at"`
	LimitationEndsAt   time.Time `json:"limitation_ends_at"`
	LimitationDay      int       `json:"limitation_day"`
	// LimitationAlarm is the last alarm day reached (e.g. 300, 350); 0: none.
	LimitationAlarm int `json:"limitation_alarm,omitempty"`
}

// Has reports whether the body carries a field an action needs
// (workflow.Rule.Needs).
func (b ActionBody) Has(f string) bool {
	switch f {
	case "note":
		return strings.TrimSpace(b.Note) != ""
	case "reason":
		return strings.TrimSpace(b.Reason) != ""
	case "instructions":
		return strings.TrimSpace(b.Instructions) != ""
	case "assignee":
		return b.Assignee != ""
	case "outcome":
		return b.Outcome != nil && b.Outcome.Result != ""
	case "approved":
		return b.Approved != nil
	case "satisfied":
		return b.Satisfied != nil
	case "paid":
		return b.Paid != nil && b.FollowUpOn != ""
	case "due_at":
		return b.DueAt != nil
	case "into":
		return b.Into > 0
	case "body":
		return b.Body != ""
	case "reference":
		return b.Reference != ""
	case "contact":
		return b.Contact != nil && b.Contact.Kind != "" && !b.Contact.HeldAt.IsZero()
	}
	return false
}
