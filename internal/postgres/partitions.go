package postgres

import (
	"context"
	"time"
)

// PartitionsAhead is how many months after the current one get their
// partitions in advance.
const PartitionsAhead = 2

// EnsurePartitions creates the monthly partitions of events and
// ticket_history for the month of now and the ahead months after it, moving
// rows that waited in a default partition into their month. It is safe on
// any number of replicas at once (the database function holds an advisory
// lock, so each partition is created once) and returns how many partitions
// it created.
func (db *DB) EnsurePartitions(ctx context.Context, now time.Time, ahead int) (int, error) {
	var n int
	// The month of the server's time zone, as partitions are cut at
	// midnight UTC; the date is taken in UTC.
	day := now.UTC().Format(time.DateOnly)
	if err := db.pool.QueryRow(ctx, "SELECT gridwarn_ensure_partitions($1::date, $2)", day, ahead).Scan(&n); err != nil {
		return 0, translate(err, "ensure partitions")
	}
	return n, nil
}

// MaxStreamSeq is the highest stream sequence of an event the database
// holds (the inbox records every stored event's sequence), 0 when none.
func (db *DB) MaxStreamSeq(ctx context.Context) (uint64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, "SELECT coalesce(max(stream_seq), 0) FROM inbox").Scan(&n); err != nil {
		return 0, translate(err, "highest stream sequence")
	}
	return uint64(n), nil
}
