package postgres

import (
	"context"
	"fmt"
)

// MigrateUpTo applies the migrations up to and including version.
func (db *DB) MigrateUpTo(ctx context.Context, version int64) error {
	p, sqldb, err := db.migrator()
	if err != nil {
		return err
	}
	defer sqldb.Close()
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate up to %d: %w", version, err)
	}
	return nil
}

// MigrateDownTo rolls the migrations back to version.
func (db *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, sqldb, err := db.migrator()
	if err != nil {
		return err
	}
	defer sqldb.Close()
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("migrate down to %d: %w", version, err)
	}
	return nil
}

// AuthCacheState says whether the auth cache listens for changes from other
// replicas, and how many times it was emptied.
func (db *DB) AuthCacheState() (listening bool, generation uint64) {
	return db.auth.listening.Load(), db.auth.generation()
}

// HistorySignalsSQL is the rules' history read of the engine's batch.
const HistorySignalsSQL = historySignalsSQL
