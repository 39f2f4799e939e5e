package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Delivery is one (notification, webhook) and where its delivery stands.
type Delivery struct {
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

// DeliveryLog returns the webhook deliveries of one notification in
// webhook order; none if it has none (yet).
func DeliveryLog(ctx context.Context, pool *pgxpool.Pool, outboxID int64) ([]Delivery, error) {
	const q = `
		SELECT id, outbox_id, webhook, delivery_id, status, attempts, next_attempt_at,
		       COALESCE(last_status_code, 0), COALESCE(last_error, ''), created_at, delivered_at
		FROM webhook_deliveries
		WHERE outbox_id = $1
		ORDER BY webhook, id`
	rows, err := pool.Query(ctx, q, outboxID)
	if err != nil {
		return nil, fmt.Errorf("delivery log of %d: %w", outboxID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		err := row.Scan(&d.ID, &d.OutboxID, &d.Webhook, &d.DeliveryID, &d.Status, &d.Attempts, &d.NextAttemptAt,
			&d.LastStatusCode, &d.LastError, &d.CreatedAt, &d.DeliveredAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("delivery log of %d: %w", outboxID, err)
	}
	return out, nil
}

// Backlog is what the relay has yet to do, for health checks and metrics.
type Backlog struct {
	Unpublished       int64         `json:"unpublished"`        // outbox rows not yet on NATS
	OldestUnpublished time.Duration `json:"oldest_unpublished"` // age of the oldest of them
	PendingDeliveries int64         `json:"pending_deliveries"`
	FailedDeliveries  int64         `json:"failed_deliveries"`
}

// Stats returns the backlog.
func Stats(ctx context.Context, pool *pgxpool.Pool) (Backlog, error) {
	const q = `
		SELECT
			(SELECT count(*) FROM outbox WHERE published_at IS NULL),
			(SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)) * 1000000, 0)::bigint FROM outbox WHERE published_at IS NULL),
			(SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
			(SELECT count(*) FROM webhook_deliveries WHERE status = 'failed')`
	var b Backlog
	var oldestMicros int64
	if err := pool.QueryRow(ctx, q).Scan(&b.Unpublished, &oldestMicros, &b.PendingDeliveries, &b.FailedDeliveries); err != nil {
		return Backlog{}, fmt.Errorf("outbox stats: %w", err)
	}
	b.OldestUnpublished = time.Duration(oldestMicros) * time.Microsecond
	return b, nil
}

// Prune deletes notifications published before cutoff whose deliveries are
// all done (delivered or failed), with their delivery log, and returns how
// many notifications it deleted. It is a plain method for the scheduler.
func Prune(ctx context.Context, pool *pgxpool.Pool, cutoff time.Time) (int64, error) {
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
		tag, err := pool.Exec(ctx, q, cutoff)
		if err != nil {
			return total, fmt.Errorf("prune outbox: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < 1000 {
			return total, nil
		}
	}
}
