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

// A ticket's detail is one round trip (one pgx batch with its own BEGIN and
// COMMIT), and a bearer token resolved within postgres.AuthCacheTTL costs
// none (issue 18, goal 5).
func TestReadRoundTrips(t *testing.T) {
	db, url := testutil.MustOpenDB(t)
	d := testutil.MustSeedDemoCounty(t, db)
	ctx := context.Background()
	tr := &roundTrips{}
	traced, err := postgres.Open(ctx, postgres.Options{URL: url, MaxConns: 2, Tracer: tr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(traced.Close)
	w := &workbench{t: t, db: traced, people: map[string]*gridwarn.Principal{}}
	for _, e := range d.Enterprises {
		if e.TownCode == testutil.TownA {
			w.ents = append(w.ents, e)
		}
	}
	id := w.signal(w.ents[0], "rt-read", 3, t0)
	all := gridwarn.Visibility{All: true}
	if _, err := traced.Ticket(ctx, all, id); err != nil { // the first also reads the pseudonyms' key once
		t.Fatal(err)
	}
	before := tr.n.Load()
	det, err := traced.Ticket(ctx, all, id)
	if err != nil {
		t.Fatal(err)
	}
	if n := tr.n.Load() - before; n != 1 {
		t.Errorf("the detail took %d round trips, want 1", n)
	}
	if len(det.Events) == 0 || len(det.History) == 0 {
		t.Errorf("the detail lacks its events or history: %d events, %d history lines", len(det.Events), len(det.History))
	}

	secret := testutil.MustToken(t, traced, "leader")
	waitFor(t, "the auth cache listens", func() bool { l, _ := traced.AuthCacheState(); return l })
	// A miss is possible only if the entry expired or was dropped between
	// the two calls (a slow machine): try a few times.
	var n int64
	for range 5 {
		if _, err := traced.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
		before = tr.n.Load()
		if _, err := traced.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if n = tr.n.Load() - before; n == 0 {
			break
		}
	}
	if n != 0 {
		t.Errorf("a token resolved a moment ago took %d round trips, want 0 (cached)", n)
	}
}
