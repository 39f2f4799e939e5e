package gridwarn

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
	Body         string     `json:"body,omitempty"`         // refer: arbitration, court, labor_inspection, legal_aid
	BodyName     string     `json:"body_name,omitempty"`    // refer: the receiving body's name (default: the county's one partner of that kind)
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

// The choices an action's body offers; the API, the console and the
// demo all take them from here.
var (
	// Outcomes lists the accepted outcome results.
	Outcomes = []string{"settled_by_mediation", "paid_in_full", "paid_in_part", "referred", "withdrawn", "not_a_labor_dispute"}
	// ReferralBodies are the bodies a ticket may be referred to.
	ReferralBodies = []string{"arbitration", "court", "labor_inspection", "legal_aid"}
	// ContactKinds are the kinds of entry of a contact log.
	ContactKinds = []string{"phone_call", "site_visit", "mediation_session"}
	// NoteVisibilities are who may read a note: the people who work the
	// ticket only, or the reporting grid worker too.
	NoteVisibilities = []string{"internal", "shareable"}
)

// Limits of an action's body.
const (
	MaxTextChars        = 2000      // a free text (note, reason, summary, …), in characters
	MaxNameChars        = 100       // one attendee of a contact
	MaxAttendees        = 50        // attendees of one contact
	MaxPromisedPayments = 60        // promised payment dates of one outcome (five years, monthly)
	MaxWorkers          = 1_000_000 // workers covered by one outcome
	MaxAmountCNY        = 1e12      // an amount recovered
)

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

// Validate normalises the request and checks every field its body
// carries, whatever the action: free text is trimmed (CRLF becomes LF) and
// at most MaxTextChars characters of UTF-8 without NUL; choices are one of
// the lists above; dates are YYYY-MM-DD; amounts and counts are not
// negative; lists are bounded and lose blanks and repeats. It returns an
// EINVALID *Error naming every field in error (JSON paths, e.g.
// "outcome.result"), ENOTFOUND for a ticket id below 1 and
// EPRECONDITIONREQUIRED without the version the caller saw.
//
// Which fields an action needs is the workflow's business
// (workflow.CheckBody); whether a value fits the ticket (a known mediator,
// a promised date of this ticket, a due time in the future) the store's.
// The service runs Validate for every caller, so the ports only parse.
func (r *ActionRequest) Validate() error {
	if r.TicketID < 1 {
		return Errorf(ENOTFOUND, "no such ticket")
	}
	if r.IfMatch < 1 {
		return Errorf(EPRECONDITIONREQUIRED, "a change needs the version of the ticket the caller saw")
	}
	var v validator
	if r.Action = strings.TrimSpace(r.Action); r.Action == "" {
		v.fail("action", "required", "is required")
	}
	b := &r.Body
	v.text("note", &b.Note, MaxTextChars)
	v.text("reason", &b.Reason, MaxTextChars)
	v.text("instructions", &b.Instructions, MaxTextChars)
	v.text("assignee", &b.Assignee, MaxNameChars)
	v.text("reference", &b.Reference, MaxTextChars)
	v.text("body_name", &b.BodyName, MaxNameChars)
	v.choice("visibility", &b.Visibility, NoteVisibilities)
	v.choice("body", &b.Body, ReferralBodies)
	v.date("follow_up_on", &b.FollowUpOn)
	if b.Into < 0 {
		v.fail("into", "number", "must be a ticket number")
	}
	if o := b.Outcome; o != nil {
		if v.choice("outcome.result", &o.Result, Outcomes); o.Result == "" {
			v.fail("outcome.result", "required", "is required")
		}
		if a := o.AmountRecoveredCNY; math.IsNaN(a) || a < 0 || a > MaxAmountCNY {
			v.fail("outcome.amount_recovered_cny", "number", fmt.Sprintf("must be a number from 0 to %.0f", float64(MaxAmountCNY)))
		}
		if o.WorkersCovered < 0 || o.WorkersCovered > MaxWorkers {
			v.fail("outcome.workers_covered", "number", fmt.Sprintf("must be a whole number from 0 to %d", MaxWorkers))
		}
		v.date("outcome.agreement_date", &o.AgreementDate)
		o.PromisedPayments = v.list("outcome.promised_payments", o.PromisedPayments, MaxPromisedPayments, func(s *string) bool {
			return v.date("outcome.promised_payments", s)
		})
	}
	if c := b.Contact; c != nil {
		if v.choice("contact.kind", &c.Kind, ContactKinds); c.Kind == "" {
			v.fail("contact.kind", "required", "is required")
		}
		if c.HeldAt.IsZero() {
			v.fail("contact.held_at", "required", "is required")
		}
		v.text("contact.place", &c.Place, MaxTextChars)
		c.Attendees = v.list("contact.attendees", c.Attendees, MaxAttendees, func(s *string) bool {
			return v.text("contact.attendees", s, MaxNameChars)
		})
		v.text("contact.summary", &c.Summary, MaxTextChars)
	}
	if len(v.errs) > 0 {
		return Invalid("invalid request body", v.errs...)
	}
	return nil
}

// validator gathers field errors, one per field.
type validator struct{ errs []FieldError }

func (v *validator) fail(field, rule, message string) {
	if !slices.ContainsFunc(v.errs, func(e FieldError) bool { return e.Field == field }) {
		v.errs = append(v.errs, FieldError{Field: field, Rule: rule, Message: message})
	}
}

// text trims *s (CRLF becomes LF) and checks it is at most max characters
// of UTF-8 without NUL.
func (v *validator) text(field string, s *string, max int) bool {
	*s = strings.TrimSpace(strings.ReplaceAll(*s, "\r\n", "\n"))
	if !utf8.ValidString(*s) || strings.ContainsRune(*s, 0) || utf8.RuneCountInString(*s) > max {
		v.fail(field, "text", fmt.Sprintf("must be at most %d characters of text", max))
		return false
	}
	return true
}

// choice trims *s and checks that it is empty or one of values.
func (v *validator) choice(field string, s *string, values []string) bool {
	*s = strings.TrimSpace(*s)
	if *s != "" && !slices.Contains(values, *s) {
		v.fail(field, "enum", "must be one of: "+strings.Join(values, ", "))
		return false
	}
	return true
}

// date trims *s and checks that it is empty or a date YYYY-MM-DD.
func (v *validator) date(field string, s *string) bool {
	*s = strings.TrimSpace(*s)
	if _, err := time.Parse(time.DateOnly, *s); *s != "" && err != nil {
		v.fail(field, "date", "dates are YYYY-MM-DD")
		return false
	}
	return true
}

// list normalises each item with check, drops blanks and repeats, and
// checks that at most max remain; it returns the list (nil when empty).
func (v *validator) list(field string, items []string, max int, check func(*string) bool) []string {
	var out []string
	for _, s := range items {
		if check(&s) && s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) > max {
		v.fail(field, "too_many", fmt.Sprintf("at most %d", max))
	}
	return out
}
