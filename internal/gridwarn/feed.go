package gridwarn

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The feed for the governance platform (issue #17 item 4): every ticket
// change — every line of a ticket's history — as a CloudEvents 1.0 event
// whose data is a TicketChange. The feed carries no personal data of
// reporters or callers: no names, phone numbers, reporter ids, notes,
// contact summaries, outcomes or any other free text — only codes, ids,
// the enterprise's registry entry (credit code and name), the place, the
// ticket's state and the time (FeedEventOf decides, once, for every port).

// Feed constants.
const (
	// FeedEventType is the CloudEvents type of a ticket change.
	FeedEventType = "cn.gridwarn.ticket.changed.v1"
	// FeedSchemaURL is the dataschema of a ticket change: the JSON Schema
	// served at /schemas/ticket-change-v1.json.
	FeedSchemaURL = "https://gridwarn.dev/schemas/ticket-change-v1.json"
	// FeedSubjectPrefix starts the NATS subject of a county's feed:
	// gridwarn.feed.<county code>.
	FeedSubjectPrefix = "gridwarn.feed."
	// FeedMaxLimit is the most events one pull returns.
	FeedMaxLimit = 1000
	// FeedDefaultLimit is a pull's page when it names none.
	FeedDefaultLimit = 100
)

// FeedSubject is the NATS subject of a county's feed.
func FeedSubject(countyCode string) string { return FeedSubjectPrefix + countyCode }

// FeedEventID is the CloudEvents id of a ticket's change with sequence
// seq: stable across retries and replays, unique in the deployment.
func FeedEventID(ticketID, seq int64) string { return fmt.Sprintf("ticket-%d-%d", ticketID, seq) }

// FeedRecord is a positioned history line as the store reads it, with the
// ticket's place and enterprise. It may hold free text (Note, Actor): only
// FeedEventOf turns it into what leaves the system.
type FeedRecord struct {
	Position       int64
	TicketID       int64
	Seq            int64
	At             time.Time
	Actor          string
	Kind           string
	From, To       string
	Status         string // after the change; "" for lines recorded before the feed existed
	Level          string
	Tier           string
	Category       string
	CreditCode     string
	EnterpriseName string
	CountyCode     string
	TownCode       string
	// WorkOrder and PlatformOrder: the county's and the city or province
	// platform's numbers of the 12351 work order that fed the ticket, when
	// it came down from that platform ("" otherwise).
	WorkOrder, PlatformOrder string
}

// FeedEvent is a CloudEvents 1.0 event in the structured JSON format
// (application/cloudevents+json).
type FeedEvent struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	DataSchema      string    `json:"dataschema"`
	// Position is the event's place in the deployment's feed (an extension
	// attribute): GET /api/v1/feed?after=<position> continues after it.
	Position int64        `json:"position"`
	Data     TicketChange `json:"data"`
}

// TicketChange is the data of a feed event.
type TicketChange struct {
	TicketID int64 `json:"ticket_id"`
	// Sequence numbers the ticket's changes 1, 2, 3… in the order they
	// committed; written in the transaction of the change.
	Sequence int64 `json:"sequence"`
	// Change is what happened: a workflow action (accept, reply, close…)
	// or a history kind (opened, event_attached, level_raised, breached…).
	Change string `json:"change"`
	// Actor is "person" or "system" (the engine, the sweeper): never who.
	Actor string `json:"actor"`
	// From and To are the codes the change moved between (statuses,
	// levels, tiers), when it has them.
	From       string         `json:"from,omitempty"`
	To         string         `json:"to,omitempty"`
	Status     Status         `json:"status,omitempty"`
	Level      Level          `json:"level,omitempty"`
	Tier       Tier           `json:"tier,omitempty"`
	Category   Category       `json:"category"`
	Enterprise FeedEnterprise `json:"enterprise"`
	CountyCode string         `json:"county_code"`
	TownCode   string         `json:"town_code,omitempty"`
	At         time.Time      `json:"at"`
	// WorkOrder is on every change of a ticket fed by a 12351 work order
	// of the city or province platform: the reply (回单) goes back with
	// the platform's number (DECISIONS D12).
	WorkOrder *FeedWorkOrder `json:"work_order,omitempty"`
}

// FeedWorkOrder names the 12351 work order a ticket answers.
type FeedWorkOrder struct {
	// Number is the county's work-order number (12351-YYYYMMDD-NNNN).
	Number string `json:"number"`
	// PlatformNumber is the order number of the platform that sent it.
	PlatformNumber string `json:"platform_number,omitempty"`
	// Reply marks the change that is the reply to the platform: answered
	// (the union's 回单, the reply action with its outcome) or closed (办结).
	Reply string `json:"reply,omitempty"`
}

// The kinds of reply a feed event may be to a platform's work order.
const (
	WorkOrderAnswered = "answered"
	WorkOrderClosed   = "closed"
)

// workOrderReply is the reply a change is to the platform's work order of
// its ticket: the reply action answers it, close closes it.
func workOrderReply(change string) string {
	switch change {
	case "reply":
		return WorkOrderAnswered
	case "close":
		return WorkOrderClosed
	}
	return ""
}

// FeedEnterprise is the enterprise of a ticket as the registry names it.
type FeedEnterprise struct {
	CreditCode string `json:"credit_code"`
	Name       string `json:"name,omitempty"`
}

// feedCode is what a from/to value must look like to leave in the feed:
// a code or an id, never free text.
var feedCode = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// FeedEventOf builds the event of a positioned change. It is the one rule
// of what the feed carries: from and to leave only when they are codes,
// the actor only as person or system.
func FeedEventOf(r FeedRecord) FeedEvent {
	code := func(s string) string {
		if feedCode.MatchString(s) {
			return s
		}
		return ""
	}
	actor := "person"
	if strings.HasPrefix(r.Actor, "system:") {
		actor = "system"
	}
	at := r.At.UTC()
	var wo *FeedWorkOrder
	// The numbers leave only when they look like numbers: never free text.
	if ValidWorkOrder(r.WorkOrder) && platformOrderRE.MatchString(r.PlatformOrder) {
		wo = &FeedWorkOrder{Number: r.WorkOrder, PlatformNumber: r.PlatformOrder, Reply: workOrderReply(code(r.Kind))}
	}
	return FeedEvent{
		SpecVersion:     "1.0",
		ID:              FeedEventID(r.TicketID, r.Seq),
		Source:          "urn:gridwarn:county:" + r.CountyCode,
		Type:            FeedEventType,
		Subject:         fmt.Sprintf("tickets/%d", r.TicketID),
		Time:            at,
		DataContentType: "application/json",
		DataSchema:      FeedSchemaURL,
		Position:        r.Position,
		Data: TicketChange{
			TicketID: r.TicketID, Sequence: r.Seq, Change: code(r.Kind), Actor: actor,
			From: code(r.From), To: code(r.To),
			Status: Status(code(r.Status)), Level: Level(code(r.Level)), Tier: Tier(code(r.Tier)),
			Category:   Category(r.Category),
			Enterprise: FeedEnterprise{CreditCode: r.CreditCode, Name: r.EnterpriseName},
			CountyCode: r.CountyCode, TownCode: r.TownCode, At: at, WorkOrder: wo,
		},
	}
}

// RolePlatform is the governance platform's machine account: it reads the
// feed and nothing else; county scope. An administrator registers it with
// its token (POST /api/v1/platforms), never as a person.
const RolePlatform Role = "platform"

// NewPlatform is an administrator's request for a platform account and
// its token.
type NewPlatform struct {
	// Name says which platform (e.g. 射阳县一体化数据共享平台).
	Name     string `json:"name"`
	Username string `json:"username"`
	// TokenName names the token (default "feed").
	TokenName string `json:"token_name,omitempty"`
}

// Validate trims and checks the request's fields.
func (p *NewPlatform) Validate() error {
	var errs []FieldError
	p.Name, p.Username, p.TokenName = strings.TrimSpace(p.Name), strings.TrimSpace(p.Username), strings.TrimSpace(p.TokenName)
	if p.Name == "" {
		errs = append(errs, FieldError{Field: "name", Rule: "required", Message: "is required"})
	} else if fe := CheckText("name", p.Name, MaxDisplayName); fe != nil {
		errs = append(errs, *fe)
	}
	if p.Username == "" {
		errs = append(errs, FieldError{Field: "username", Rule: "required", Message: "is required"})
	}
	if p.TokenName == "" {
		p.TokenName = "feed"
	} else if fe := CheckText("token_name", p.TokenName, MaxNameChars); fe != nil {
		errs = append(errs, *fe)
	}
	if len(errs) > 0 {
		return Invalid("invalid platform", errs...)
	}
	return nil
}

// FeedPage is one pull of the feed.
type FeedPage struct {
	Events []FeedEvent `json:"events"`
	// NextAfter is the after of the next pull: the last event's position,
	// or the request's after when no event was ready.
	NextAfter int64 `json:"next_after"`
}

// FeedService serves the feed to pulling platforms.
type FeedService interface {
	// Feed returns the changes after position after, in position order,
	// inside v, at most limit.
	Feed(ctx context.Context, v Visibility, after int64, limit int) (FeedPage, error)
	// CreatePlatform registers a platform account (role platform, the
	// county's scope) with a token whose secret is returned once. Only a
	// county-wide administrator's v may (EFORBIDDEN otherwise).
	CreatePlatform(ctx context.Context, v Visibility, req NewPlatform) (*User, *Token, string, error)
}
