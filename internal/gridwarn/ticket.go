package gridwarn

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Status is where a ticket is in its life: the states of the state machine
// (internal/workflow holds the transitions between them). It is the one type
// of a ticket's state; SQL lists of states are derived from Statuses and
// Open, never spelled out by hand.
type Status string

const (
	StatusNew        Status = "new"         // opened by the engine, not yet in a queue
	StatusDispatched Status = "dispatched"  // 派单: in the queue of its tier's unit
	StatusAccepted   Status = "accepted"    // 签收: a mediator has taken responsibility
	StatusInProgress Status = "in_progress" // 处置/调解: being handled
	StatusReplied    Status = "replied"     // 回单: an outcome is recorded, awaiting review
	StatusReviewed   Status = "reviewed"    // 审核: the tier head approved; awaiting the call-back
	StatusClosed     Status = "closed"      // 办结: done; may be reopened
	StatusReferred   Status = "referred"    // 移交: with arbitration, court or labor inspection; open for follow-up
	StatusMerged     Status = "merged"      // 合并: a duplicate folded into another ticket; terminal
)

// Statuses lists every ticket status in the order of a ticket's life.
var Statuses = []Status{StatusNew, StatusDispatched, StatusAccepted, StatusInProgress, StatusReplied, StatusReviewed,
	StatusClosed, StatusReferred, StatusMerged}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Open reports whether the ticket is still being worked: every state but
// closed and merged. A referred ticket is open (it is followed up). At most
// one open ticket exists per enterprise and category.
func (s Status) Open() bool { return s.Valid() && s != StatusClosed && s != StatusMerged }

// Terminal reports whether no action can leave s. Only merged is terminal;
// closed can be reopened.
func (s Status) Terminal() bool { return s == StatusMerged }

// OpenStatuses lists the open statuses, in the order of Statuses.
func OpenStatuses() []Status {
	return slices.DeleteFunc(slices.Clone(Statuses), func(s Status) bool { return !s.Open() })
}

// EndedStatuses lists the statuses that are not open, in the order of
// Statuses.
func EndedStatuses() []Status {
	return slices.DeleteFunc(slices.Clone(Statuses), Status.Open)
}

// Ticket groups the signals about one enterprise and category until someone
// resolves them. At most one ticket per (enterprise, category) is open.
type Ticket struct {
	ID           int64      `json:"id"`
	Enterprise   string     `json:"enterprise"`
	Category     Category   `json:"category"`
	Level        Level      `json:"level"`
	Tier         Tier       `json:"tier"`
	Status       Status     `json:"status"`
	EventCount   int        `json:"event_count"`
	FirstEventAt time.Time  `json:"first_event_at"`
	LastEventAt  time.Time  `json:"last_event_at"`
	OpenedAt     time.Time  `json:"opened_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	OverdueAt    *time.Time `json:"overdue_at,omitempty"`
	// ClaimedBy holds the lease (a mediator working the ticket) until
	// LeaseExpiresAt; empty when unclaimed.
	ClaimedBy      string     `json:"claimed_by,omitempty"`
	LeaseExpiresAt *time.Time `json:"lease_expires_at,omitempty"`
	MergedInto     int64      `json:"merged_into,omitempty"`
	// RelapseOf is the enterprise's closed ticket of the same category that
	// this one relapses from: new signals after a close open a new ticket
	// (DOMAIN.md, "A ticket's life"); 0 for none.
	RelapseOf    int64  `json:"relapse_of,omitempty"`
	RulesVersion string `json:"rules_version"`
	Version      int    `json:"version"`
	CountyCode   string `json:"county_code"`
	TownCode     string `json:"town_code,omitempty"`
	GridCode     string `json:"grid_code,omitempty"`
}

// TicketDetail is a ticket with its events and its history.
type TicketDetail struct {
	Ticket
	Events  []StoredEvent  `json:"events"`
	History []HistoryEntry `json:"history"`
	Clocks  []Clock        `json:"clocks"`
	// Work records. A grid worker (the reporter's view) gets only the
	// shareable notes and no contact log or history.
	Notes    []Note         `json:"notes"`
	Contacts []ContactEntry `json:"contacts"`
	Outcome  *Outcome       `json:"outcome,omitempty"`
	Referral *Referral      `json:"referral,omitempty"`
	// Referrals are every referral of the ticket (out to a body, or in
	// from a court's commission) with the updates on it.
	Referrals []ReferralRecord `json:"referrals,omitempty"`
	FollowUps []FollowUp       `json:"follow_ups"`
	Legal     *LegalClocks     `json:"legal,omitempty"`
}

// Note is a note on a ticket: internal, or shareable with the reporter.
type Note struct {
	ID         int64     `json:"id"`
	Author     string    `json:"author"`
	Visibility string    `json:"visibility"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// ContactEntry is one line of the contact log.
type ContactEntry struct {
	ID     int64  `json:"id"`
	Author string `json:"author"`
	Contact
	CreatedAt time.Time `json:"created_at"`
}

// Referral is where a ticket went for arbitration, a court ruling or a
// labor inspection.
type Referral struct {
	Body       string    `json:"body"`
	BodyName   string    `json:"body_name,omitempty"`
	Reference  string    `json:"reference"`
	Collective bool      `json:"collective,omitempty"` // 10+ workers with a common demand: arbitration hears it first
	At         time.Time `json:"at"`
}

// FollowUp is a promised payment date and whether it was kept.
type FollowUp struct {
	DueOn      string     `json:"due_on"`
	Tier       Tier       `json:"tier"`
	Paid       *bool      `json:"paid,omitempty"`
	RecordedAt *time.Time `json:"recorded_at,omitempty"`
}

// HistoryKind names what happened to a ticket.
type HistoryKind string

const (
	HistoryOpened        HistoryKind = "opened"
	HistoryEventAttached HistoryKind = "event_attached"
	HistoryLevelRaised   HistoryKind = "level_raised"
	HistoryTierChanged   HistoryKind = "tier_changed"
	HistoryClosed        HistoryKind = "closed"
	HistoryReminder      HistoryKind = "reminder"    // a clock reached its reminder point
	HistoryBreached      HistoryKind = "breached"    // a clock passed its due time
	HistoryOverdue       HistoryKind = "overdue"     // the county tier's limit passed: leadership is told
	HistoryHandedDown    HistoryKind = "handed_down" // a higher tier handed the ticket back down with instructions
	// HistoryRelapsed, on a closed ticket: new signals opened a new ticket
	// that relapses from it (to: the new ticket's id).
	HistoryRelapsed HistoryKind = "relapsed"
)

// ActorSweeper is the history actor for changes made by the escalation sweeper.
const ActorSweeper = "system:sweeper"

// HistoryEntry is one append-only line of a ticket's audit trail.
type HistoryEntry struct {
	ID       int64           `json:"id"`
	TicketID int64           `json:"ticket_id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Kind     HistoryKind     `json:"kind"`
	EventID  string          `json:"event_id,omitempty"`
	From     string          `json:"from,omitempty"`
	To       string          `json:"to,omitempty"`
	Note     string          `json:"note,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// ActorEngine is the history actor for changes made by the rules engine.
const ActorEngine = "system:engine"

// TicketFilter selects tickets for a list. Zero values mean "any".
type TicketFilter struct {
	Status Status
	// Open keeps only the open tickets (OpenStatuses), as the dashboard
	// counts them.
	Open       bool
	Level      Level
	Category   Category
	Enterprise string
	// AfterID continues a list after this id (lists are newest first).
	AfterID int64
	Limit   int
}

// Page is one page of a list and the cursor of the next page ("" when done).
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// TicketService reads and changes tickets.
// Every method is limited to what v sees: a ticket outside it is ENOTFOUND.
type TicketService interface {
	ListTickets(ctx context.Context, v Visibility, f TicketFilter) ([]Ticket, error)
	Ticket(ctx context.Context, v Visibility, id int64) (*TicketDetail, error)
}

// WorksAtTier reports whether a person with scope s works at the ticket's
// current tier: the county for a county-tier ticket; the ticket's town for
// a town-tier one, and also for an enterprise-tier one (the town union
// looks after the enterprise tier; grid workers report but do not act).
func WorksAtTier(s Scope, t Ticket) bool {
	if t.Tier == TierCounty {
		return s.Kind == ScopeCounty && s.UnitCode == t.CountyCode
	}
	return s.Kind == ScopeTown && s.UnitCode == t.TownCode
}
