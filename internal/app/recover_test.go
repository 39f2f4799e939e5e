package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridwarn/gridwarn/internal/app"
	"github.com/gridwarn/gridwarn/internal/config"
	"github.com/gridwarn/gridwarn/internal/gridwarn"
	"github.com/gridwarn/gridwarn/internal/natsbus"
	"github.com/gridwarn/gridwarn/internal/testutil"
)

// A restore: the database is put back to a copy taken after the first
// events, the stream goes on holding every event; gridwarn recover stores
// each event missing from the copy, exactly once, and a second run stores
// nothing.
func TestRecoverAfterRestore(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	dbURL := testutil.MustCreateDatabase(t)
	withStore := func(c *config.Config) {
		c.DataDir = dataDir // the stream outlives the app
		c.Database.URL = dbURL
		c.Roles = config.Roles{Engine: true}
	}
	const before, after = 40, 35
	var ids []string
	var ents []string
	publish := func(a *app.App, from, n int) {
		t.Helper()
		pub := natsbus.Publisher{JS: a.JetStream()}
		for i := from; i < from+n; i++ {
			w := 1 + i%20
			ev := gridwarn.Event{ID: fmt.Sprintf("rec-%03d", i), Enterprise: ents[i%len(ents)], Category: "wage_arrears",
				OccurredAt: time.Now().Add(-time.Hour), WorkersInvolved: &w}
			data, _ := json.Marshal(ev)
			if _, err := pub.PublishRaw(ctx, ev.Subject(), ev.ID, data); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ev.ID)
		}
	}
	waitEvents := func(a *app.App, want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var n int
			_ = a.DB().Pool().QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n)
			if n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("events stored: %d, want %d", n, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	stop := func(a *app.App) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := a.Stop(sctx); err != nil {
			t.Fatal(err)
		}
	}

	a := MustRunApp(t, withStore)
	county := testutil.MustSeedDemoCounty(t, a.DB())
	for _, e := range county.Enterprises[:7] {
		ents = append(ents, e.CreditCode)
	}
	publish(a, 0, before)
	waitEvents(a, before)
	stop(a)

	// Last night's backup.
	_, backupName := splitDB(t, dbURL)
	backupURL := testutil.MustCreateDatabaseFromTemplate(t, backupName)

	a = MustRunApp(t, withStore)
	publish(a, before, after)
	waitEvents(a, before+after)
	stop(a)

	// The database is lost and restored from the backup: the events after
	// it are gone from PostgreSQL, and acknowledged in the stream.
	cfg := config.Default()
	withStore(&cfg)
	cfg.NATS.Embedded.Port = -1
	cfg.Database.URL = backupURL
	restored := openPool(t, backupURL)
	if n := count(t, restored, "SELECT count(*) FROM events"); n != before {
		t.Fatalf("the restored database holds %d events, want %d", n, before)
	}

	// No lookback: the re-drive starts at the highest sequence stored.
	rep, err := app.Recover(ctx, cfg, testLogger(t), app.RecoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.HighestStored == 0 || rep.First != rep.HighestStored || rep.Stored != after || rep.Duplicates != 1 ||
		rep.Last != rep.Target {
		t.Errorf("recover: %+v; want it to start at the highest stored sequence (skipped), store %d and read to the end", rep, after)
	}
	if n := count(t, restored, "SELECT count(*) FROM events"); n != before+after {
		t.Errorf("events after recover: %d, want %d", n, before+after)
	}
	if n := count(t, restored, "SELECT count(*) FROM (SELECT id FROM events GROUP BY id HAVING count(*) > 1) d"); n != 0 {
		t.Errorf("%d event ids stored more than once", n)
	}
	if n := count(t, restored, "SELECT count(*) FROM events WHERE id = ANY($1)", ids); n != len(ids) {
		t.Errorf("%d of the %d published ids stored", n, len(ids))
	}
	if n := count(t, restored, "SELECT coalesce(sum(event_count), 0) FROM tickets"); n != before+after {
		t.Errorf("tickets count %d events, want %d", n, before+after)
	}
	if n := count(t, restored, "SELECT count(*) FROM inbox"); n != before+after {
		t.Errorf("inbox holds %d ids, want %d", n, before+after)
	}

	// Again, from the start of the stream and with a lookback reaching
	// back over everything: nothing is stored twice.
	for _, o := range []app.RecoverOptions{{FromSeq: 1}, {Lookback: time.Hour}} {
		rep, err = app.Recover(ctx, cfg, testLogger(t), o)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Stored != 0 || rep.Duplicates != before+after || rep.First != 1 {
			t.Errorf("recover again (%+v): %+v, want the whole stream read, nothing stored and %d skipped", o, rep, before+after)
		}
	}
	if n := count(t, restored, "SELECT count(*) FROM events"); n != before+after {
		t.Errorf("events after a second recover: %d, want %d", n, before+after)
	}
}

// splitDB returns the server part and the database name of a URL.
func splitDB(t *testing.T, dbURL string) (string, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = ""
	return u.String(), name
}

func openPool(t *testing.T, dbURL string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func count(t *testing.T, p *pgxpool.Pool, q string, args ...any) int {
	t.Helper()
	var n int
	if err := p.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
