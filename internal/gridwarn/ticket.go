package gridwarn

import (
	"context"
	"encoding/json"
	"time"
)

// Status is the state of a ticket. The foundation knows only new and closed;
// the mediator's state machine adds the states in between.
type Status string

const (
	StatusNew    Status = "new"
	StatusClosed Status = "closed"
)

// Statuses lists every ticket status.
var Statuses = []Status{StatusNew, StatusClosed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
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
	RulesVersion string     `json:"rules_version"`
	Version      int        `json:"version"`
	CountyCode   string     `json:"county_code"`
	TownCode     string     `json:"town_code,omitempty"`
	GridCode     string     `json:"grid_code,omitempty"`
}

// TicketDetail is a ticket with its events and its history.
type TicketDetail struct {
	Ticket
	Events  []StoredEvent  `json:"events"`
	History []HistoryEntry `json:"history"`
	Clocks  []Clock        `json:"clocks"`
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
	Status     Status
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
	CloseTicket(ctx context.Context, v Visibility, id int64, actor, note string) (*Ticket, error)
	// HandDown moves a ticket one tier down with instructions; the lower
	// tier's clocks start again. Only someone at the ticket's tier may:
	// a county-wide scope for a county-tier ticket, a town or county scope
	// for a town-tier one (EFORBIDDEN otherwise).
	HandDown(ctx context.Context, v Visibility, id int64, actor, instructions string) (*Ticket, error)
}
