package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// A database that cannot be reached, is starting up or has no connection to
// give in time is unavailable and marked unreachable — the errors come
// from a real server behind a proxy, the way the driver reports them.
func TestUnreachableDatabase(t *testing.T) {
	_, direct := testutil.MustOpenDB(t)
	proxy, viaProxy := testutil.MustProxyDatabase(t, direct)
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Options{URL: viaProxy, MaxConns: 1, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	query := func(ctx context.Context) error {
		_, err := db.EnterprisesByCode(ctx, []string{entA})
		return err
	}
	wantUnreachable := func(what string, err error) {
		t.Helper()
		if gridwarn.ErrorCode(err) != gridwarn.EUNAVAILABLE || !errors.Is(err, gridwarn.ErrUnreachable) {
			t.Errorf("%s: %v (code %q); want unavailable and unreachable", what, err, gridwarn.ErrorCode(err))
		}
	}
	if err := query(ctx); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}

	proxy.Cut()
	wantUnreachable("connection refused", query(ctx))

	proxy.Answer(testutil.PostgresStartingUp)
	err = query(ctx)
	wantUnreachable("starting up", err)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57P03" {
		t.Errorf("starting up: %v; want the server's 57P03", err)
	}
	if proxy.Answered() == 0 {
		t.Errorf("the proxy answered no connection")
	}
	proxy.Answer(testutil.PostgresRefuses("57P01", "terminating connection due to administrator command"))
	wantUnreachable("shutting down", query(ctx))

	proxy.Restore()
	if err := query(ctx); err != nil {
		t.Fatalf("after the restore: %v", err)
	}
	// The pool's only connection is taken: no connection in time.
	held, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	wantUnreachable("pool exhausted", query(short))
	cancel()
	held.Release()
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}
