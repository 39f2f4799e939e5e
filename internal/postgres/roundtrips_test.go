package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/postgres"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// roundTrips counts what a pool sends: each query (BEGIN and COMMIT
// included) and each batch is one round trip.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// A step of a ticket costs BEGIN, the lock, one batch (the ticket row, the
// records, the history line, the clocks, the notifications, the ticket read
// back) and COMMIT — four round trips whatever the action writes (it was
// nine for an accept).
func TestActRoundTrips(t *testing.T) {
	db, url := testutil.MustOpenDB(t)
	d := testutil.MustSeedDemoCounty(t, db)
	ctx := context.Background()
	tr := &roundTrips{}
	traced, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 2, Tracer: tr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(traced.Close)
	traced.SetClockPlanner(tenSeconds{})
	w := &workbench{t: t, db: traced, people: map[string]*gridwarn.Principal{}}
	for _, e := range d.Enterprises {
		if e.TownCode == testutil.TownA {
			w.ents = append(w.ents, e)
		}
	}
	u, err := db.UserByName(ctx, "mediator-320924100-2")
	if err != nil {
		t.Fatal(err)
	}
	p := &gridwarn.Principal{User: *u}
	id := w.signal(w.ents[0], "rt-1", 3, t0)
	v := gridwarn.VisibilityOf(p.Scope)
	version := 2 // opened, dispatched
	for _, a := range []string{"claim", "accept", "start"} {
		before := tr.n.Load()
		tk, err := traced.Act(ctx, p, v, gridwarn.ActionRequest{TicketID: id, Action: a, IfMatch: version})
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		if n := tr.n.Load() - before; n != 4 {
			t.Errorf("%s took %d round trips, want 4", a, n)
		}
		version = tk.Version
	}
}
