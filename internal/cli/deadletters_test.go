package cli_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gridwarn/gridwarn/internal/cli"
)

// `gridwarn dead-letters replay` of a cause that is not fixed updates the
// same dead letter — its attempts rise, it stays ready to replay — instead
// of adding a row per run (issue #14); once the cause is fixed the replay
// stores the event and the row is marked replayed.
func TestReplayOfAnUnfixedCauseKeepsOneRow(t *testing.T) {
	d := MustRunDemo(t, nil, "--no-simulator")
	env := append([]string{"GRIDWARN_NO_DEMO_ENV=1"}, d.Env...)
	var dbURL string
	for _, kv := range d.Env {
		if v, ok := strings.CutPrefix(kv, "GRIDWARN_DATABASE_URL="); ok {
			dbURL = v
		}
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// An enterprise of the demo's county that is not in its registry.
	const unknown = "91320924MA1234567X"
	code := unknown[:17] + string(checkChar(unknown[:17]))
	line := fmt.Sprintf(`{"id":"dl-1","enterprise":%q,"category":"wage_arrears","occurred_at":%q,"workers_involved":12}`,
		code, time.Now().Add(-time.Hour).Format(time.RFC3339))
	var out, errb strings.Builder
	if c := cli.Main(ctx, []string{"publish"}, strings.NewReader(line), &out, &errb, env, nil); c != cli.ExitOK {
		t.Fatalf("publish: %d %s", c, errb.String())
	}
	type row struct {
		n, attempts int
		replayed    bool
		reason      string
	}
	state := func() row {
		t.Helper()
		var r row
		if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(max(attempts), 0), coalesce(bool_or(replayed_at IS NOT NULL), false), coalesce(max(reason), '')
FROM dead_letters`).Scan(&r.n, &r.attempts, &r.replayed, &r.reason); err != nil {
			t.Fatal(err)
		}
		return r
	}
	// waitFor polls (generously: no timing is asserted) until want holds.
	waitFor := func(what string, want func(row) bool) row {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
			r := state()
			if want(r) {
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: dead letters %+v", what, r)
			}
		}
	}
	waitFor("the dead letter", func(r row) bool { return r.n == 1 && r.attempts == 1 && r.reason == "unknown_enterprise" })
	for attempt := 2; attempt <= 3; attempt++ {
		c, o, e := run(t, env, "dead-letters", "replay")
		if c != cli.ExitOK || !strings.Contains(o, fmt.Sprintf("attempt %d", attempt)) {
			t.Fatalf("replay %d: %d %q %q", attempt, c, o, e)
		}
		r := waitFor(fmt.Sprintf("replay %d failing again", attempt), func(r row) bool { return r.attempts == attempt && !r.replayed })
		if r.n != 1 {
			t.Fatalf("after replay %d: %d dead letters, want the same one", attempt, r.n)
		}
	}
	if c, o, _ := run(t, env, "dead-letters", "list"); c != cli.ExitOK || !strings.Contains(o, "ATTEMPTS") || strings.Count(o, "\n") != 2 {
		t.Errorf("list: %d\n%s", c, o)
	}
	// The cause fixed: the enterprise joins the registry; the replay
	// stores the event, the row is marked replayed, nothing new is added.
	if _, err := pool.Exec(ctx, `INSERT INTO enterprises (credit_code, name, town_code, grid_code, headcount)
SELECT $1, '补录企业', town_code, grid_code, 20 FROM enterprises WHERE town_code LIKE '320924%' LIMIT 1`, code); err != nil {
		t.Fatal(err)
	}
	if c, o, e := run(t, env, "dead-letters", "replay"); c != cli.ExitOK {
		t.Fatalf("replay after the fix: %d %q %q", c, o, e)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE id = 'dl-1'`).Scan(&n)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replayed event was not stored; dead letters %+v", state())
		}
	}
	if r := state(); r.n != 1 || r.attempts != 3 || !r.replayed {
		t.Errorf("after the fix: %+v, want the one row, 3 attempts, replayed", r)
	}
}

// checkChar computes the check character of an unified social credit code
// (GB 32100) from its first 17 characters.
func checkChar(s string) byte {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(alphabet, s[i]) * weights[i]
	}
	return alphabet[(31-sum%31)%31]
}

func mustPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
