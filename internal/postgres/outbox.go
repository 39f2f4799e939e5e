package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// This file is the only reader and writer of the outbox and
// webhook_deliveries tables. Writers queue notifications in the
// transaction of the change they announce (enqueue, notify); the relay
// (internal/notify) reads and marks them through gridwarn.Outbox.

var _ gridwarn.Outbox = (*DB)(nil)

// ticketNote is the payload of a ticket notification.
type ticketNote = gridwarn.TicketPayload

// enqueue queues a ticket notification for the outbox, in the caller's
// transaction; the relay delivers it after commit. It addresses the unit
// that owns the ticket at n.Tier and adds, from the registry, the
// enterprise's name and the unit's name.
func enqueue(st *stmts, topic string, n ticketNote) {
	n.UnitCode = gridwarn.NotifyUnit(n.Tier, n.CountyCode, n.TownCode)
	queueNotification(st, gridwarn.Notification{Topic: topic, Subject: gridwarn.NotifySubject(n.Tier, n.UnitCode), Payload: n}, n.Enterprise, n.UnitCode)
}

// queueNotification queues a notification for the outbox. A notification
// that could never be delivered fails the transaction (at send). The names
// of the enterprise and of the unit with those codes, when registered, are
// added to the payload as enterprise_name and unit_name.
func queueNotification(st *stmts, n gridwarn.Notification, enterprise, unit string) {
	if st.err != nil {
		return
	}
	if err := n.Validate(); err != nil {
		st.err = err
		return
	}
	payload, err := json.Marshal(n.Payload)
	if err != nil {
		st.err = gridwarn.Errorf(gridwarn.EINVALID, "notification %s: payload: %v", n.Topic, err)
		return
	}
	const q = `
INSERT INTO outbox (topic, subject, payload)
SELECT $1, $2, $3::jsonb || jsonb_strip_nulls(jsonb_build_object(
    'enterprise_name', (SELECT e.name FROM enterprises e WHERE e.credit_code = $4),
    'unit_name', (SELECT u.name_zh FROM units u WHERE u.code = $5)))`
	st.add(q, n.Topic, n.Subject, string(payload), enterprise, unit)
}

// queueHandoffMessage queues a hand-off message for another deployment
// (gridwarn.TopicHandoffSend, gridwarn.TopicHandoffReply) in the caller's
// transaction; the relay delivers it to the peer until the peer
// acknowledges it, never to webhooks.
func queueHandoffMessage(st *stmts, topic, subject string, payload any) {
	if st.err != nil {
		return
	}
	b, err := json.Marshal(payload)
	if err != nil {
		st.err = err
		return
	}
	st.add(`INSERT INTO outbox (topic, subject, payload) VALUES ($1, $2, $3::jsonb)`, topic, subject, string(b))
}

// Enqueue writes notifications to the outbox in one transaction: all or
// none. Changes of tickets and summaries write theirs in their own
// transactions; this is for the others (and for the relay's tests).
func (db *DB) Enqueue(ctx context.Context, ns ...gridwarn.Notification) error {
	var st stmts
	for _, n := range ns {
		queueNotification(&st, n, "", "")
	}
	if st.err != nil {
		return st.err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return st.send(ctx, tx) })
	return translate(err, "outbox")
}

// PublishDue implements gridwarn.Outbox. The claimed rows stay locked
// while publish runs, so publish must be short (the relay bounds it).
func (db *DB) PublishDue(ctx context.Context, now time.Time, limit int,
	publish func(context.Context, []gridwarn.OutboxMessage) []gridwarn.PublishOutcome) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return translate(err, "outbox")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	const claim = `
SELECT id, topic, subject, payload, created_at, attempts
FROM outbox
WHERE published_at IS NULL AND next_attempt_at <= $1
ORDER BY id
LIMIT $2
FOR UPDATE SKIP LOCKED`
	rows, _ := tx.Query(ctx, claim, now, limit)
	claimed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gridwarn.OutboxMessage, error) {
		var m gridwarn.OutboxMessage
		err := row.Scan(&m.ID, &m.Topic, &m.Subject, &m.Payload, &m.CreatedAt, &m.Attempts)
		m.CreatedAt = m.CreatedAt.UTC()
		return m, err
	})
	if err != nil {
		return translate(err, "claim outbox")
	}
	if len(claimed) == 0 {
		return translate(tx.Commit(ctx), "outbox")
	}
	outcomes := publish(ctx, claimed)

	// Record what happened even when ctx ended meanwhile: what was
	// published must be marked so.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	const (
		markPublished = `UPDATE outbox SET published_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1`
		markFailed    = `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $1`
		addDelivery   = `
INSERT INTO webhook_deliveries (outbox_id, webhook, delivery_id, next_attempt_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (outbox_id, webhook) DO NOTHING`
	)
	b := &pgx.Batch{}
	for _, o := range outcomes {
		switch {
		case o.NotTried:
		case o.Published:
			b.Queue(markPublished, o.ID, now)
			for _, h := range o.Webhooks {
				b.Queue(addDelivery, o.ID, h, uuid.NewString(), now)
			}
		default:
			b.Queue(markFailed, o.ID, o.RetryAt, o.Error)
		}
	}
	if err := tx.SendBatch(dctx, b).Close(); err != nil {
		return translate(err, "record publishes")
	}
	return translate(tx.Commit(dctx), "record publishes")
}

// ClaimDeliveries implements gridwarn.Outbox: the claimed deliveries'
// attempts are counted and their next attempt moved to now+lease.
func (db *DB) ClaimDeliveries(ctx context.Context, now time.Time, webhooks []string, limit int, lease time.Duration) ([]gridwarn.DeliveryClaim, error) {
	const q = `
WITH due AS (
    SELECT id FROM webhook_deliveries
    WHERE status = 'pending' AND next_attempt_at <= $1 AND webhook = ANY($2)
    ORDER BY id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET attempts = d.attempts + 1, next_attempt_at = $4
FROM due, outbox o
WHERE d.id = due.id AND o.id = d.outbox_id
RETURNING d.id, d.outbox_id, d.webhook, d.delivery_id, d.attempts, o.id, o.topic, o.subject, o.payload, o.created_at, o.attempts`
	rows, _ := db.pool.Query(ctx, q, now, webhooks, limit, now.Add(lease))
	claimed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gridwarn.DeliveryClaim, error) {
		var d gridwarn.DeliveryClaim
		m := &d.Message
		err := row.Scan(&d.ID, &d.OutboxID, &d.Webhook, &d.DeliveryID, &d.Attempts, &m.ID, &m.Topic, &m.Subject, &m.Payload, &m.CreatedAt, &m.Attempts)
		m.CreatedAt = m.CreatedAt.UTC()
		return d, err
	})
	if err != nil {
		return nil, translate(err, "claim webhook deliveries")
	}
	return claimed, nil
}

// RecordDelivery implements gridwarn.Outbox.
func (db *DB) RecordDelivery(ctx context.Context, o gridwarn.DeliveryOutcome) error {
	var code *int
	if o.StatusCode != 0 {
		code = &o.StatusCode
	}
	var err error
	switch {
	case o.Released:
		const q = `
UPDATE webhook_deliveries SET attempts = attempts - 1, next_attempt_at = $3
WHERE id = $1 AND attempts = $2 AND status = 'pending'`
		_, err = db.pool.Exec(ctx, q, o.ID, o.Attempts, o.At)
	case o.Status == gridwarn.DeliveryDelivered:
		const q = `
UPDATE webhook_deliveries
SET status = 'delivered', delivered_at = $3, last_status_code = $4, last_error = NULL
WHERE id = $1 AND attempts = $2 AND status = 'pending'`
		_, err = db.pool.Exec(ctx, q, o.ID, o.Attempts, o.At, code)
	case o.Status == gridwarn.DeliveryPending || o.Status == gridwarn.DeliveryFailed:
		const q = `
UPDATE webhook_deliveries
SET status = $3, next_attempt_at = $4, last_status_code = $5, last_error = $6
WHERE id = $1 AND attempts = $2 AND status = 'pending'`
		_, err = db.pool.Exec(ctx, q, o.ID, o.Attempts, o.Status, o.At, code, o.Error)
	default:
		return gridwarn.Errorf(gridwarn.EINVALID, "webhook delivery %d: status %q", o.ID, o.Status)
	}
	return translate(err, fmt.Sprintf("record webhook delivery %d", o.ID))
}

// DeliveryLog returns the webhook deliveries of one notification in
// webhook order; none if it has none (yet).
func (db *DB) DeliveryLog(ctx context.Context, outboxID int64) ([]gridwarn.WebhookDelivery, error) {
	const q = `
SELECT id, outbox_id, webhook, delivery_id, status, attempts, next_attempt_at,
       coalesce(last_status_code, 0), coalesce(last_error, ''), created_at, delivered_at
FROM webhook_deliveries
WHERE outbox_id = $1
ORDER BY webhook, id`
	rows, _ := db.pool.Query(ctx, q, outboxID)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (gridwarn.WebhookDelivery, error) {
		var d gridwarn.WebhookDelivery
		err := row.Scan(&d.ID, &d.OutboxID, &d.Webhook, &d.DeliveryID, &d.Status, &d.Attempts, &d.NextAttemptAt,
			&d.LastStatusCode, &d.LastError, &d.CreatedAt, &d.DeliveredAt)
		return d, err
	})
	return out, translate(err, fmt.Sprintf("delivery log of %d", outboxID))
}

// OutboxBacklog is what the relays have yet to do, for health checks and
// metrics.
func (db *DB) OutboxBacklog(ctx context.Context) (gridwarn.OutboxBacklog, error) {
	const q = `
SELECT
    (SELECT count(*) FROM outbox WHERE published_at IS NULL),
    (SELECT coalesce(extract(epoch FROM now() - min(created_at)) * 1000000, 0)::bigint FROM outbox WHERE published_at IS NULL),
    (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
    (SELECT count(*) FROM webhook_deliveries WHERE status = 'failed')`
	var b gridwarn.OutboxBacklog
	var oldestMicros int64
	if err := db.pool.QueryRow(ctx, q).Scan(&b.Unpublished, &oldestMicros, &b.PendingDeliveries, &b.FailedDeliveries); err != nil {
		return gridwarn.OutboxBacklog{}, translate(err, "outbox backlog")
	}
	b.OldestUnpublished = time.Duration(oldestMicros) * time.Microsecond
	return b, nil
}

// PruneOutbox deletes notifications published before cutoff whose
// deliveries are all done (delivered or failed), with their delivery log,
// and returns how many notifications it deleted.
func (db *DB) PruneOutbox(ctx context.Context, cutoff time.Time) (int64, error) {
	const q = `
WITH old AS (
    SELECT o.id FROM outbox o
    WHERE o.published_at < $1
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.outbox_id = o.id AND d.status = 'pending')
    ORDER BY o.id
    LIMIT 1000
    FOR UPDATE SKIP LOCKED
), deliveries AS (
    DELETE FROM webhook_deliveries d USING old WHERE d.outbox_id = old.id
)
DELETE FROM outbox o USING old WHERE o.id = old.id`
	var total int64
	for {
		tag, err := db.pool.Exec(ctx, q, cutoff)
		if err != nil {
			return total, translate(err, "prune outbox")
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < 1000 {
			return total, nil
		}
	}
}
