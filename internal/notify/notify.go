// Package notify is gridwarn's transactional outbox: notifications are
// written to the outbox table in the same transaction as the ticket change
// they announce (Enqueue), and a Relay delivers them after commit to NATS
// JetStream (stream GRIDWARN_NOTIFY) and to webhooks (plain JSON signed with
// HMAC-SHA256, WeCom and DingTalk group robots), retrying with backoff.
//
// Delivery is at least once. A NATS message carries Nats-Msg-Id
// "outbox-<id>", so a resend within the stream's duplicate window is dropped;
// a webhook request carries X-Gridwarn-Delivery, the same on every retry of
// one (notification, webhook), so receivers can drop repeats.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
)

// Topics of notifications.
const (
	TopicTicketOpened  = "ticket.opened"
	TopicLevelRaised   = "ticket.level_raised"
	TopicTierChanged   = "ticket.tier_changed"
	TopicReminder      = "ticket.reminder"
	TopicBreach        = "ticket.breach"
	TopicReturned      = "ticket.returned"
	TopicSummaryWeekly = "summary.weekly"
)

// Topics lists every topic.
var Topics = []string{
	TopicTicketOpened, TopicLevelRaised, TopicTierChanged, TopicReminder,
	TopicBreach, TopicReturned, TopicSummaryWeekly,
}

// Stream and subjects.
const (
	// StreamName is the stream of notifications.
	StreamName = "GRIDWARN_NOTIFY"
	// NotifyPrefix starts the subject of every ticket notification:
	// gridwarn.notify.<tier>.<unit code>.
	NotifyPrefix = "gridwarn.notify."
	// SummaryPrefix starts the subject of every summary:
	// gridwarn.summaries.<kind>.<unit code>.
	SummaryPrefix = "gridwarn.summaries."
	// MsgIDPrefix starts the Nats-Msg-Id of every published notification.
	MsgIDPrefix = "outbox-"
	// HeaderTopic is the NATS header that carries the notification's topic.
	HeaderTopic = "Gridwarn-Topic"
)

// Subject returns the NATS subject of a ticket notification for the tier
// that owns it and the unit (town or county code, or a grid's code) it is
// addressed to: gridwarn.notify.<tier>.<unit code>.
func Subject(tier, unitCode string) string {
	return NotifyPrefix + tier + "." + unitCode
}

// SummarySubject returns the NATS subject of a summary: for instance
// gridwarn.summaries.weekly.320924.
func SummarySubject(kind, unitCode string) string {
	return SummaryPrefix + kind + "." + unitCode
}

// Notification is one message to deliver after the transaction commits.
type Notification struct {
	Topic   string // one of Topics
	Subject string // see Subject and SummarySubject
	// Payload is encoded as JSON. The WeCom and DingTalk formats read the
	// keys of TicketPayload and SummaryPayload when present.
	Payload any
}

// ErrInvalid is returned by Enqueue for a notification that could never be
// delivered; it is a bug of the caller, and its transaction should fail.
var ErrInvalid = errors.New("invalid notification")

// Enqueue writes n to the outbox inside tx. It is delivered after tx
// commits, and never if tx rolls back.
func Enqueue(ctx context.Context, tx pgx.Tx, n Notification) error {
	if err := n.validate(); err != nil {
		return err
	}
	payload, err := json.Marshal(n.Payload)
	if err != nil {
		return fmt.Errorf("%w: %s: payload: %v", ErrInvalid, n.Topic, err)
	}
	const q = `INSERT INTO outbox (topic, subject, payload) VALUES ($1, $2, $3)`
	if _, err := tx.Exec(ctx, q, n.Topic, n.Subject, string(payload)); err != nil {
		return fmt.Errorf("enqueue %s on %s: %w", n.Topic, n.Subject, err)
	}
	return nil
}

func (n Notification) validate() error {
	if n.Topic == "" {
		return fmt.Errorf("%w: empty topic", ErrInvalid)
	}
	if !strings.HasPrefix(n.Subject, NotifyPrefix) && !strings.HasPrefix(n.Subject, SummaryPrefix) {
		return fmt.Errorf("%w: %s: subject %q is outside %s> and %s>", ErrInvalid, n.Topic, n.Subject, NotifyPrefix, SummaryPrefix)
	}
	for _, tok := range strings.Split(n.Subject, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return fmt.Errorf("%w: %s: subject %q: empty token, wildcard or white space", ErrInvalid, n.Topic, n.Subject)
		}
	}
	return nil
}

// TicketPayload is the payload the ticket topics are expected to carry.
// Every field is optional; the WeCom and DingTalk formats show those that
// are set. The plain JSON format and NATS carry any payload as it is.
type TicketPayload struct {
	TicketID       int64      `json:"ticket_id,omitempty"`
	Enterprise     string     `json:"enterprise,omitempty"` // credit code
	EnterpriseName string     `json:"enterprise_name,omitempty"`
	Category       string     `json:"category,omitempty"`
	Level          string     `json:"level,omitempty"`
	FromLevel      string     `json:"from_level,omitempty"` // ticket.level_raised
	Tier           string     `json:"tier,omitempty"`
	FromTier       string     `json:"from_tier,omitempty"` // ticket.tier_changed, ticket.returned
	Clock          string     `json:"clock,omitempty"`     // accept, contact, resolve: ticket.reminder, ticket.breach
	DueAt          *time.Time `json:"due_at,omitempty"`
	UnitCode       string     `json:"unit_code,omitempty"` // the town or county addressed
	UnitName       string     `json:"unit_name,omitempty"`
	Note           string     `json:"note,omitempty"`
	URL            string     `json:"url,omitempty"` // the ticket in the web UI
}

// SummaryPayload is the payload summary.weekly is expected to carry.
type SummaryPayload struct {
	UnitCode    string    `json:"unit_code,omitempty"`
	UnitName    string    `json:"unit_name,omitempty"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	Opened      int       `json:"opened"`
	Closed      int       `json:"closed"`
	Open        int       `json:"open"`
	Overdue     int       `json:"overdue"`
	Note        string    `json:"note,omitempty"`
	URL         string    `json:"url,omitempty"`
}

// EnsureStream creates GRIDWARN_NOTIFY on gridwarn.notify.> and
// gridwarn.summaries.> or updates it to the same configuration: file
// storage, limits retention, 30 days, a 10 minute duplicate window. It is
// idempotent.
func EnsureStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	cfg := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "gridwarn notifications from the outbox: gridwarn.notify.<tier>.<unit code>, gridwarn.summaries.<kind>.<unit code>",
		Subjects:    []string{NotifyPrefix + ">", SummaryPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      30 * 24 * time.Hour,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Duplicates:  10 * time.Minute,
		Replicas:    1,
	}
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", StreamName, err)
	}
	return s, nil
}
