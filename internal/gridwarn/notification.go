package gridwarn

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Topics of notifications. Webhooks select notifications by topic.
const (
	TopicTicketOpened = "ticket.opened"
	TopicLevelRaised  = "ticket.level_raised"
	TopicTierChanged  = "ticket.tier_changed"
	TopicReminder     = "ticket.reminder"
	TopicBreach       = "ticket.breach"
	TopicReturned     = "ticket.returned" // handed down
	TopicReopened     = "ticket.reopened"
	// TopicReferralUpdate: the body a ticket is referred to reported
	// (note: the update's kind); the unit working the ticket is told.
	TopicReferralUpdate = "ticket.referral_update"
	TopicSummaryWeekly  = "summary.weekly"
)

// Topics lists every topic.
var Topics = []string{
	TopicTicketOpened, TopicLevelRaised, TopicTierChanged, TopicReminder,
	TopicBreach, TopicReturned, TopicReopened, TopicReferralUpdate, TopicSummaryWeekly, TopicCircularUnionization, TopicSummaryPeriod,
}

// Subjects of notifications on the broker.
const (
	// NotifySubjectPrefix starts the subject of every ticket notification:
	// gridwarn.notify.<tier>.<unit code>.
	NotifySubjectPrefix = "gridwarn.notify."
	// SummarySubjectPrefix starts the subject of every summary:
	// gridwarn.summaries.<kind>.<unit code>.
	SummarySubjectPrefix = "gridwarn.summaries."
)

// NotifyUnit is the unit whose people hear about a ticket at tier: the
// town for the enterprise and town tiers, the county for the county tier
// (and for a ticket without a town).
func NotifyUnit(tier Tier, countyCode, townCode string) string {
	if tier == TierCounty || townCode == "" {
		return countyCode
	}
	return townCode
}

// NotifySubject is the subject of a ticket notification for the tier that
// owns the ticket and the unit addressed: gridwarn.notify.town.320924100.
func NotifySubject(tier Tier, unitCode string) string {
	return NotifySubjectPrefix + string(tier) + "." + unitCode
}

// SummarySubject is the subject of a summary of a unit:
// gridwarn.summaries.weekly.320924.
func SummarySubject(kind, unitCode string) string {
	return SummarySubjectPrefix + kind + "." + unitCode
}

// Notification is one message for the outbox: written in the transaction
// of the change it announces, delivered after commit.
type Notification struct {
	Topic   string // one of Topics
	Subject string // NotifySubject or SummarySubject
	// Payload is encoded as JSON: a TicketPayload for the ticket topics, a
	// SummaryPayload for summary.weekly.
	Payload any
}

// Validate reports a notification that could never be delivered (EINVALID):
// a bug of the writer, whose transaction should fail.
func (n Notification) Validate() error {
	if n.Topic == "" {
		return Errorf(EINVALID, "notification without a topic")
	}
	if !strings.HasPrefix(n.Subject, NotifySubjectPrefix) && !strings.HasPrefix(n.Subject, SummarySubjectPrefix) {
		return Errorf(EINVALID, "notification %s: subject %q is outside %s> and %s>", n.Topic, n.Subject, NotifySubjectPrefix, SummarySubjectPrefix)
	}
	for _, tok := range strings.Split(n.Subject, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return Errorf(EINVALID, "notification %s: subject %q has an empty token, a wildcard or white space", n.Topic, n.Subject)
		}
	}
	return nil
}

// TicketPayload is the payload of the ticket topics. The writer fills the
// ticket's facts and, from the registry, the enterprise's and the unit's
// names; the relay adds the console link (URL) when api.public_url is set.
type TicketPayload struct {
	TicketID       int64    `json:"ticket_id"`
	Enterprise     string   `json:"enterprise"` // credit code
	EnterpriseName string   `json:"enterprise_name,omitempty"`
	Category       Category `json:"category"`
	Level          Level    `json:"level"`
	FromLevel      string   `json:"from_level,omitempty"` // ticket.level_raised
	Tier           Tier     `json:"tier"`
	FromTier       string   `json:"from_tier,omitempty"` // ticket.tier_changed, ticket.returned
	// Clock is the clock that reminded or breached (accept, contact,
	// resolve): ticket.reminder, ticket.breach.
	Clock      string     `json:"clock,omitempty"`
	DueAt      *time.Time `json:"due_at,omitempty"`
	UnitCode   string     `json:"unit_code"` // the unit addressed: see NotifyUnit
	UnitName   string     `json:"unit_name,omitempty"`
	CountyCode string     `json:"county_code"`
	TownCode   string     `json:"town_code,omitempty"`
	At         time.Time  `json:"at"` // when the change happened
	Note       string     `json:"note,omitempty"`
	URL        string     `json:"url,omitempty"` // the ticket in the console
}

// SummaryKindWeekly is the kind of the weekly summary in its subject.
const SummaryKindWeekly = "weekly"

// SummaryPayload is the payload of summary.weekly: which summary, its
// period and the counts a group robot's card shows.
type SummaryPayload struct {
	UnitCode string `json:"unit_code"`
	UnitName string `json:"unit_name"`
	Week     string `json:"week"` // ISO week, 2026-W46
	Revision int    `json:"revision"`
	// PeriodStart and PeriodEnd are the first and the last day of the week
	// (Monday, Sunday) in the summary's time zone, as 2006-01-02.
	PeriodStart string `json:"period_start"`
	PeriodEnd   string `json:"period_end"`
	TimeZone    string `json:"time_zone"`
	Events      int    `json:"events"`  // events that occurred in the week
	Opened      int    `json:"opened"`  // tickets opened in the week
	Closed      int    `json:"closed"`  // tickets closed in the week
	Open        int    `json:"open"`    // tickets open at the end of the week
	Red         int    `json:"red"`     // red tickets touched in the week
	Overdue     int    `json:"overdue"` // open and past a time limit at the end of the week
	URL         string `json:"url,omitempty"`
}

// NewSummaryPayload is the announcement of a stored summary.
func NewSummaryPayload(s *WeeklySummary) SummaryPayload {
	open := 0
	for _, b := range s.Backlog {
		open += b.Count
	}
	return SummaryPayload{
		UnitCode: s.UnitCode, UnitName: s.UnitName, Week: s.ISO, Revision: s.Revision,
		PeriodStart: s.From.Format(time.DateOnly), PeriodEnd: s.To.AddDate(0, 0, -1).Format(time.DateOnly),
		TimeZone: s.TimeZone, Events: s.Headline.Events, Opened: s.Headline.NewTickets, Closed: s.Headline.Closed,
		Open: open, Red: len(s.Red), Overdue: s.Headline.Overdue,
	}
}

// TicketURL is the console's page of a ticket under publicURL
// (api.public_url); "" when publicURL is "".
func TicketURL(publicURL string, id int64) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimSuffix(publicURL, "/") + "/ui/tickets/" + strconv.FormatInt(id, 10)
}

// SummaryURL is the console's page of a unit's weekly summary under
// publicURL; "" when publicURL is "".
func SummaryURL(publicURL, week, unitCode string) string {
	if publicURL == "" {
		return ""
	}
	return strings.TrimSuffix(publicURL, "/") + "/ui/summaries/" + url.PathEscape(week) + "?unit=" + url.QueryEscape(unitCode)
}

// WithLink returns payload, the JSON payload of a notification of topic,
// with its console link under publicURL ("url") when it has none yet and
// says what it links to (a ticket id; a summary's week and unit). Any
// other payload is returned as it is.
func WithLink(topic string, payload []byte, publicURL string) []byte {
	if publicURL == "" {
		return payload
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(payload, &p) != nil || p == nil {
		return payload
	}
	if u, ok := p["url"]; ok && string(u) != `""` && string(u) != "null" {
		return payload
	}
	var link string
	if topic == TopicSummaryWeekly {
		var s struct {
			Week     string `json:"week"`
			UnitCode string `json:"unit_code"`
		}
		if json.Unmarshal(payload, &s) == nil && s.Week != "" && s.UnitCode != "" {
			link = SummaryURL(publicURL, s.Week, s.UnitCode)
		}
	} else if strings.HasPrefix(topic, "ticket.") {
		var t struct {
			TicketID int64 `json:"ticket_id"`
		}
		if json.Unmarshal(payload, &t) == nil && t.TicketID > 0 {
			link = TicketURL(publicURL, t.TicketID)
		}
	}
	if link == "" {
		return payload
	}
	p["url"], _ = json.Marshal(link)
	out, err := json.Marshal(p)
	if err != nil {
		return payload
	}
	return out
}

// Outbox messages and webhook deliveries: the relay's view of the outbox.

// OutboxMessage is a notification claimed for publishing.
type OutboxMessage struct {
	ID        int64
	Topic     string
	Subject   string
	Payload   json.RawMessage
	CreatedAt time.Time
	Attempts  int // failed attempts so far
}

// PublishOutcome is what became of one claimed OutboxMessage.
type PublishOutcome struct {
	ID int64
	// NotTried leaves the message as it was, due again at once (the relay
	// stopped, or ran out of time in the round).
	NotTried bool
	// Published creates a delivery for each of Webhooks; otherwise the
	// attempt failed with Error and is retried at RetryAt.
	Published bool
	Webhooks  []string
	RetryAt   time.Time
	Error     string
}

// Webhook delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one (notification, webhook) and where its delivery
// stands: the delivery log.
type WebhookDelivery struct {
	ID             int64      `json:"id"`
	OutboxID       int64      `json:"outbox_id"`
	Webhook        string     `json:"webhook"`
	DeliveryID     string     `json:"delivery_id"`
	Status         string     `json:"status"` // pending, delivered, failed
	Attempts       int        `json:"attempts"`
	NextAttemptAt  time.Time  `json:"next_attempt_at"`
	LastStatusCode int        `json:"last_status_code,omitempty"` // 0: no HTTP response yet
	LastError      string     `json:"last_error,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
}

// DeliveryClaim is a webhook delivery claimed for one attempt, with its
// notification.
type DeliveryClaim struct {
	ID         int64
	OutboxID   int64
	Webhook    string
	DeliveryID string // the same on every attempt
	Attempts   int    // including the one being made
	Message    OutboxMessage
}

// DeliveryOutcome records one attempt of a claimed delivery. It is ignored
// when the claim is no longer this attempt's (another relay took the
// delivery over after the lease lapsed).
type DeliveryOutcome struct {
	ID       int64
	Attempts int // the claim's
	// Status is delivered, pending (retried at At) or failed. Released
	// gives the claim back without counting the attempt, due at At.
	Status     string
	Released   bool
	At         time.Time // delivered at, or the next attempt
	StatusCode int       // 0: no HTTP response
	Error      string
}

// OutboxBacklog is what the relay has yet to do.
type OutboxBacklog struct {
	Unpublished       int64         `json:"unpublished"`        // notifications not yet on the broker
	OldestUnpublished time.Duration `json:"oldest_unpublished"` // age of the oldest of them
	PendingDeliveries int64         `json:"pending_deliveries"`
	FailedDeliveries  int64         `json:"failed_deliveries"`
}

// Outbox is the store the relay delivers from. Several relays may share
// it: each claim skips what another relay holds. now is the relay's clock:
// it decides what is due and when a failed attempt is retried.
type Outbox interface {
	// PublishDue claims up to limit notifications due at now, hands them to
	// publish and records the outcomes publish returns, in one transaction:
	// a relay that dies before recording publishes them again later.
	PublishDue(ctx context.Context, now time.Time, limit int,
		publish func(context.Context, []OutboxMessage) []PublishOutcome) error
	// ClaimDeliveries claims up to limit pending deliveries to webhooks due
	// at now, each for lease: no other relay claims it before now+lease.
	ClaimDeliveries(ctx context.Context, now time.Time, webhooks []string, limit int, lease time.Duration) ([]DeliveryClaim, error)
	// RecordDelivery stores the outcome of one attempt.
	RecordDelivery(ctx context.Context, o DeliveryOutcome) error
}

// TopicCircularUnionization announces a unionization circular.
const TopicCircularUnionization = "circular.unionization"

// SummaryKindUnionization is the kind of the unionization circular in its
// subject: gridwarn.summaries.unionization.<unit>.
const SummaryKindUnionization = "unionization"

// CircularPayload is the payload of circular.unionization.
type CircularPayload struct {
	UnitCode       string `json:"unit_code"`
	UnitName       string `json:"unit_name"`
	Period         string `json:"period"`
	Revision       int    `json:"revision"`
	Listed         int    `json:"listed"`
	NewlyListed    int    `json:"newly_listed"`
	NewlyUnionized int    `json:"newly_unionized"`
}

// NewCircularPayload is the announcement of a stored circular.
func NewCircularPayload(c *UnionCircular) CircularPayload {
	return CircularPayload{UnitCode: c.UnitCode, UnitName: c.UnitName, Period: c.Period, Revision: c.Revision,
		Listed: c.Totals.Listed, NewlyListed: c.Totals.NewlyListed, NewlyUnionized: c.Totals.NewlyUnionized}
}

// TopicSummaryPeriod announces a monthly or quarterly report.
const TopicSummaryPeriod = "summary.period"

// SummaryKindOf is the kind of a period's report in its subject:
// gridwarn.summaries.monthly.<unit>, gridwarn.summaries.quarterly.<unit>.
func SummaryKindOf(k PeriodKind) string {
	if k == PeriodQuarter {
		return "quarterly"
	}
	return "monthly"
}

// PeriodPayload is the payload of summary.period.
type PeriodPayload struct {
	UnitCode string     `json:"unit_code"`
	UnitName string     `json:"unit_name"`
	Kind     PeriodKind `json:"kind"`
	Period   string     `json:"period"`
	Revision int        `json:"revision"`
	Events   int        `json:"events"`
	Opened   int        `json:"opened"`
	Closed   int        `json:"closed"`
	Red      int        `json:"red"`
}

// NewPeriodPayload is the announcement of a stored report.
func NewPeriodPayload(r *PeriodReport) PeriodPayload {
	p := PeriodPayload{UnitCode: r.UnitCode, UnitName: r.UnitName, Kind: r.Kind, Period: r.Period, Revision: r.Revision}
	if s := r.Summary; s != nil {
		p.Events, p.Opened, p.Closed, p.Red = s.Headline.Events, s.Headline.NewTickets, s.Headline.Closed, len(s.Red)
	}
	return p
}
