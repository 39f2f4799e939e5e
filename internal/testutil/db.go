package testutil

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gridwarn/gridwarn/internal/postgres"
)

// MustOpenDB opens a fresh, migrated database on the test PostgreSQL and
// returns it with its URL; it is dropped when the test ends.
func MustOpenDB(tb testing.TB) (*postgres.DB, string) {
	tb.Helper()
	url := MustCreateDatabase(tb)
	ctx := context.Background()
	// The cheapest bcrypt cost keeps sign-ins fast under -race.
	db, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 20, Sessions: postgres.SessionOptions{BcryptCost: bcrypt.MinCost}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db, url
}
