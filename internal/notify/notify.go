// Package notify delivers gridwarn's transactional outbox: notifications
// are written to the outbox in the same transaction as the change they
// announce (by internal/postgres, the outbox's only reader and writer; the
// payloads and subjects are gridwarn's), and a Relay delivers them after
// commit to NATS JetStream (stream GRIDWARN_NOTIFY) and to webhooks (plain
// JSON signed with HMAC-SHA256, WeCom and DingTalk group robots), retrying
// with backoff. The relay reads and marks the outbox through
// gridwarn.Outbox.
//
// Delivery is at least once. A NATS message carries Nats-Msg-Id
// "outbox-<id>", so a resend within the stream's duplicate window is dropped;
// a webhook request carries X-Gridwarn-Delivery, the same on every retry of
// one (notification, webhook), so receivers can drop repeats.
package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// Stream and headers.
const (
	// StreamName is the stream of notifications.
	StreamName = "GRIDWARN_NOTIFY"
	// MsgIDPrefix starts the Nats-Msg-Id of every published notification.
	MsgIDPrefix = "outbox-"
	// HeaderTopic is the NATS header that carries the notification's topic.
	HeaderTopic = "Gridwarn-Topic"
)

// EnsureStream creates GRIDWARN_NOTIFY on gridwarn.notify.> and
// gridwarn.summaries.> or updates it to the same configuration: file
// storage, limits retention, 30 days, a 10 minute duplicate window. It is
// idempotent.
func EnsureStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	cfg := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "gridwarn notifications from the outbox: gridwarn.notify.<tier>.<unit code>, gridwarn.summaries.<kind>.<unit code>",
		Subjects:    []string{gridwarn.NotifySubjectPrefix + ">", gridwarn.SummarySubjectPrefix + ">"},
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
